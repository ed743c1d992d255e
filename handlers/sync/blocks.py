"""The Cortex → Rootly sync in Slack: progress, summary, dry-run plan, status, schedule.

Each builder returns a `Message` (the notification text and the blocks) or blocks alone.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.sync import SyncProgress, SyncReport, SyncSchedule, SyncStatus
from bot.sync.report import ChangeLine
from handlers.common import ids
from handlers.common.blocks import Message, button, context, escaped, section
from handlers.common.home import (
    SHOWN_PROBLEMS,
    SYNC_TITLE,
    listed,
    schedule_line,
    started_by,
    sync_counts,
    sync_errors,
    sync_outcome,
    sync_status_blocks,
)

# How much of a report a message lists; the counts are always whole.
SHOWN_CHANGES = 15
BAR_WIDTH = 20


def _bar(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return "`" + "█" * filled + "░" * (BAR_WIDTH - filled) + "`"


def progress_message(progress: SyncProgress, triggered_by: str) -> Message:
    heading = f":arrows_counterclockwise: *{SYNC_TITLE}* started by {started_by(triggered_by)}"
    if progress.stage == "listing":
        line = "Listing the services in Cortex and Rootly…"
    else:
        failed = f", {progress.failed} failed" if progress.failed else ""
        line = f"{_bar(progress.done, progress.total)}  {progress.done:,} of {progress.total:,}"
        line += f" changes written{failed}"
    return Message(f"{SYNC_TITLE}: running", [section(f"{heading}\n{line}")])


def _change(line: ChangeLine) -> str:
    fields = f" ({', '.join(line.fields)})" if line.action == "update" and line.fields else ""
    failed = f" — :x: {escaped(line.error)}" if line.error else ""
    return f"• {line.action} `{escaped(line.tag)}` {escaped(line.name)}{fields}{failed}"


def _details(report: SyncReport) -> list[Block]:
    counts = report.counts
    return [
        *listed(
            "Changes",
            [_change(line) for line in report.changes],
            counts.written + counts.failed,
            SHOWN_CHANGES,
        ),
        *listed(
            "Conflicts (not written: make the names unambiguous in Rootly or Cortex)",
            [f"• {escaped(conflict)}" for conflict in report.conflicts],
            counts.conflicts,
            SHOWN_PROBLEMS,
        ),
        *listed(
            "Archived in Cortex, left in Rootly",
            [f"• `{escaped(tag)}`" for tag in report.archived_upstream],
            counts.archived_upstream,
            SHOWN_PROBLEMS,
        ),
        *sync_errors(report),
    ]


def _duration(started: datetime, finished: datetime) -> str:
    seconds = round((finished - started).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def summary_message(report: SyncReport) -> Message:
    heading = f"*{SYNC_TITLE}* {sync_outcome(report)}: {sync_counts(report)}."
    footer = (
        f"Started by {started_by(report.triggered_by)} · "
        f"took {_duration(report.started_at, report.finished_at)}"
    )
    blocks = [section(heading), *_details(report), context(footer)]
    return Message(f"{SYNC_TITLE}: {sync_counts(report)}", blocks)


def failure_message(sentence: str, triggered_by: str) -> Message:
    text = f":x: *{SYNC_TITLE}* started by {started_by(triggered_by)} stopped: {sentence}"
    return Message(f"{SYNC_TITLE} stopped", [section(text)])


def cannot_post_message(slack_error: str) -> Message:
    text = (
        f"I cannot post the sync's progress in this channel (Slack says `{slack_error}`), so the "
        "sync did not start. Invite me to the channel, or run `/cortex sync` in a public one."
    )
    return Message(text, [section(text)])


def plan_message(report: SyncReport) -> Message:
    """A dry run's answer: what a sync would do, and a button to do it."""
    if not report.changes:
        text = f"Nothing to write: Rootly is in step with Cortex ({sync_counts(report)})."
        return Message(text, [section(text), *_details(report)])
    blocks: list[Block] = [
        section(f"*Dry run of the {SYNC_TITLE}*: {sync_counts(report)}. Nothing was written."),
        *_details(report),
        ActionsBlock(elements=[button("Apply", ids.SYNC_APPLY, style="primary")]),
        context("Apply runs the sync now (it plans again, so it also picks up newer changes)."),
    ]
    return Message(f"Dry run: {sync_counts(report)}", blocks)


def status_message(status: SyncStatus) -> Message:
    return Message(f"{SYNC_TITLE}: status", sync_status_blocks(status))


def schedule_message(schedule: SyncSchedule | None) -> Message:
    return Message(schedule_line(schedule), [section(schedule_line(schedule))])
