"""The Cortex → Rootly sync in Slack: progress, summary, dry-run plan, status, schedule.

Each builder returns a `Message` (the notification text and the blocks) or blocks alone.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import Block

from bot.sync import SyncProgress, SyncReport, SyncSchedule, SyncStatus
from bot.sync.report import ChangeLine
from handlers.common import ids
from handlers.common.errors import slack_refusal
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
from handlers.common.kit import Message, actions, button, context, section
from handlers.common.mrkdwn import Mrkdwn, cut, escaped, moment

# How much of a report a message lists; the counts are always whole.
SHOWN_CHANGES = 15
# The most one change takes of its message, so several always fit in a section.
CHANGE_TEXT = 700
BAR_WIDTH = 20


def _bar(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def progress_message(progress: SyncProgress, triggered_by: str) -> Message:
    heading = Mrkdwn(":arrows_counterclockwise: *{}* started by {}").format(
        SYNC_TITLE, started_by(triggered_by)
    )
    if progress.stage == "listing":
        line = Mrkdwn("Listing the services in Cortex and Rootly…")
    else:
        failed = f", {progress.failed} failed" if progress.failed else ""
        line = Mrkdwn("`{}`  {:,} of {:,} services written{}").format(
            _bar(progress.done, progress.total), progress.done, progress.total, failed
        )
    if progress.waiting_for and progress.waiting_until:
        line += Mrkdwn(
            "\n:hourglass_flowing_sand: Waiting for {}'s rate limit, until {}; the sync goes on "
            "then."
        ).format(progress.waiting_for, moment(progress.waiting_until))
    running = Mrkdwn("{}: running").format(SYNC_TITLE)
    return Message(running, [section(Mrkdwn("{}\n{}").format(heading, line))])


def _value(text: str | None) -> Mrkdwn:
    return escaped(text) if text else Mrkdwn("_empty_")


def _change(line: ChangeLine) -> Mrkdwn:
    fields = f" ({', '.join(line.fields)})" if line.fields and not line.diffs else ""
    failed = Mrkdwn(" — :x: {}").format(line.error) if line.error else ""
    text = Mrkdwn("• {} `{}` {}{}{}").format(line.action, line.tag, line.name, fields, failed)
    for diff in line.diffs:
        text += Mrkdwn("\n      {}: {} → {}").format(
            diff.attribute, _value(diff.before), _value(diff.after)
        )
    return cut(text, CHANGE_TEXT)


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
            [Mrkdwn("• {}").format(conflict) for conflict in report.conflicts],
            counts.conflicts,
            SHOWN_PROBLEMS,
        ),
        *listed(
            "Archived in Cortex, left in Rootly",
            [Mrkdwn("• `{}`").format(tag) for tag in report.archived_upstream],
            counts.archived_upstream,
            SHOWN_PROBLEMS,
        ),
        *sync_errors(report),
        *listed(
            "Left as Rootly has them",
            [Mrkdwn("• {}").format(note) for note in report.notes],
            len(report.notes),
            SHOWN_PROBLEMS,
        ),
    ]


def _duration(started: datetime, finished: datetime) -> str:
    seconds = round((finished - started).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def summary_message(report: SyncReport) -> Message:
    heading = Mrkdwn("*{}* {}: {}.").format(SYNC_TITLE, sync_outcome(report), sync_counts(report))
    footer = Mrkdwn("Started by {} · took {}").format(
        started_by(report.triggered_by), _duration(report.started_at, report.finished_at)
    )
    blocks = [section(heading), *_details(report), context(footer)]
    return Message(Mrkdwn("{}: {}").format(SYNC_TITLE, sync_counts(report)), blocks)


def failure_message(sentence: Mrkdwn, triggered_by: str) -> Message:
    text = Mrkdwn(":x: *{}* started by {} stopped: {}").format(
        SYNC_TITLE, started_by(triggered_by), sentence
    )
    return Message(Mrkdwn("{} stopped").format(SYNC_TITLE), [section(text)])


def interrupted_message(triggered_by: str, slash: str) -> Message:
    text = Mrkdwn(
        ":double_vertical_bar: *{}* started by {} was interrupted: the bot was stopped while it "
        "ran. What was written stays; `{} sync` runs it again."
    ).format(SYNC_TITLE, started_by(triggered_by), slash)
    return Message(Mrkdwn("{} interrupted").format(SYNC_TITLE), [section(text)])


def cannot_post_message(slack_error: str, slash: str) -> Message:
    text = Mrkdwn(
        "The sync did not start: I cannot post its progress in this channel ({}). "
        "Run `{} sync` where I can post."
    ).format(slack_refusal(slack_error), slash)
    return Message(text, [section(text)])


def plan_message(report: SyncReport) -> Message:
    """A dry run's answer: what a sync would do, and a button to do it."""
    if not report.changes:
        text = Mrkdwn("Nothing to write: Rootly is in step with Cortex ({}).").format(
            sync_counts(report)
        )
        return Message(text, [section(text), *_details(report)])
    heading = Mrkdwn("*Dry run of the {}*: {}. Nothing was written.").format(
        SYNC_TITLE, sync_counts(report)
    )
    blocks: list[Block] = [
        section(heading),
        *_details(report),
        *actions(button("Apply", ids.SYNC_APPLY, style="primary")),
        context(
            Mrkdwn("Apply runs the sync now (it plans again, so it also picks up newer changes).")
        ),
    ]
    return Message(Mrkdwn("Dry run: {}").format(sync_counts(report)), blocks)


def status_message(status: SyncStatus, slash: str) -> Message:
    return Message(Mrkdwn("{}: status").format(SYNC_TITLE), sync_status_blocks(status, slash))


def schedule_message(schedule: SyncSchedule | None, slash: str) -> Message:
    line = schedule_line(schedule, slash)
    return Message(line, [section(line)])
