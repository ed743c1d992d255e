"""The Cortex → Rootly sync in Slack: progress, summary, dry-run plan, status, schedule, App Home.

Each builder returns a `Message` (the notification text and the blocks) or blocks alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block, DividerBlock, HeaderBlock, PlainTextObject

from bot.sync import BY_CLI, BY_SCHEDULE, Status, SyncProgress, SyncReport, SyncSchedule, SyncStatus
from bot.sync.report import ChangeLine, count_phrases
from handlers import ids
from handlers.blocks.common import Message, button, context, escaped, moment, section

TITLE = "Cortex → Rootly sync"
# How much of a report a message lists; the counts are always whole.
SHOWN_CHANGES = 15
SHOWN_PROBLEMS = 5
BAR_WIDTH = 20


def started_by(triggered_by: str) -> str:
    if triggered_by == BY_SCHEDULE:
        return "the schedule"
    if triggered_by == BY_CLI:
        return "the command line"
    return f"<@{triggered_by}>"


def _bar(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return "`" + "█" * filled + "░" * (BAR_WIDTH - filled) + "`"


def progress_message(progress: SyncProgress, triggered_by: str) -> Message:
    heading = f":arrows_counterclockwise: *{TITLE}* started by {started_by(triggered_by)}"
    if progress.stage == "listing":
        line = "Listing the services in Cortex and Rootly…"
    else:
        failed = f", {progress.failed} failed" if progress.failed else ""
        line = f"{_bar(progress.done, progress.total)}  {progress.done:,} of {progress.total:,}"
        line += f" changes written{failed}"
    return Message(f"{TITLE}: running", [section(f"{heading}\n{line}")])


def _counts(report: SyncReport) -> str:
    return ", ".join(count_phrases(report)) or "no services to sync"


def _change(line: ChangeLine) -> str:
    fields = f" ({', '.join(line.fields)})" if line.action == "update" and line.fields else ""
    failed = f" — :x: {escaped(line.error)}" if line.error else ""
    return f"• {line.action} `{escaped(line.tag)}` {escaped(line.name)}{fields}{failed}"


def _listed(title: str, lines: Sequence[str], total: int, limit: int) -> list[Block]:
    """A titled list of its first `limit` lines, saying how many more of `total` there are."""
    if not lines:
        return []
    shown = min(limit, len(lines))
    more = f"\n…and {total - shown:,} more" if total > shown else ""
    return [section(f"*{title}*\n" + "\n".join(lines[:shown]) + more)]


def _details(report: SyncReport) -> list[Block]:
    counts = report.counts
    return [
        *_listed(
            "Changes",
            [_change(line) for line in report.changes],
            counts.written + counts.failed,
            SHOWN_CHANGES,
        ),
        *_listed(
            "Conflicts (not written: make the names unambiguous in Rootly or Cortex)",
            [f"• {escaped(conflict)}" for conflict in report.conflicts],
            counts.conflicts,
            SHOWN_PROBLEMS,
        ),
        *_listed(
            "Archived in Cortex, left in Rootly",
            [f"• `{escaped(tag)}`" for tag in report.archived_upstream],
            counts.archived_upstream,
            SHOWN_PROBLEMS,
        ),
        *_errors(report),
    ]


def _errors(report: SyncReport) -> list[Block]:
    lines = [f"• {escaped(error)}" for error in report.errors]
    return _listed("Errors", lines, max(len(lines), report.counts.failed), SHOWN_PROBLEMS)


def _duration(started: datetime, finished: datetime) -> str:
    seconds = round((finished - started).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def _outcome(report: SyncReport) -> str:
    if report.status is Status.FAILED:
        return ":x: failed"
    if report.status is Status.PARTIAL:
        return f":warning: finished with {report.counts.failed:,} failed"
    return ":white_check_mark: finished"


def summary_message(report: SyncReport) -> Message:
    heading = f"*{TITLE}* {_outcome(report)}: {_counts(report)}."
    footer = (
        f"Started by {started_by(report.triggered_by)} · "
        f"took {_duration(report.started_at, report.finished_at)}"
    )
    blocks = [section(heading), *_details(report), context(footer)]
    return Message(f"{TITLE}: {_counts(report)}", blocks)


def failure_message(sentence: str, triggered_by: str) -> Message:
    text = f":x: *{TITLE}* started by {started_by(triggered_by)} stopped: {sentence}"
    return Message(f"{TITLE} stopped", [section(text)])


def cannot_post_message(slack_error: str) -> Message:
    text = (
        f"I cannot post the sync's progress in this channel (Slack says `{slack_error}`), so the "
        "sync did not start. Invite me to the channel, or run `/cortex sync` in a public one."
    )
    return Message(text, [section(text)])


def plan_message(report: SyncReport) -> Message:
    """A dry run's answer: what a sync would do, and a button to do it."""
    if not report.changes:
        text = f"Nothing to write: Rootly is in step with Cortex ({_counts(report)})."
        return Message(text, [section(text), *_details(report)])
    blocks: list[Block] = [
        section(f"*Dry run of the {TITLE}*: {_counts(report)}. Nothing was written."),
        *_details(report),
        ActionsBlock(elements=[button("Apply", ids.SYNC_APPLY, style="primary")]),
        context("Apply runs the sync now (it plans again, so it also picks up newer changes)."),
    ]
    return Message(f"Dry run: {_counts(report)}", blocks)


def _last_run(report: SyncReport | None) -> list[Block]:
    if report is None:
        return [section("No sync has run in this workspace yet.")]
    heading = (
        f"*Last sync* {moment(report.finished_at)}, started by "
        f"{started_by(report.triggered_by)}: {_outcome(report)} — {_counts(report)}."
    )
    return [section(heading), *_errors(report)]


def schedule_line(schedule: SyncSchedule | None) -> str:
    if schedule is None:
        return "Automatic sync: off (`/cortex sync auto hourly` or `daily` turns it on)."
    return (
        f"Automatic sync: {schedule.frequency}, next {moment(schedule.next_due_at)} "
        f"(set by <@{schedule.set_by}>)."
    )


def status_blocks(status: SyncStatus) -> list[Block]:
    running = (
        [section(":arrows_counterclockwise: A sync is running now.")] if status.running else []
    )
    return [*running, *_last_run(status.last), context(schedule_line(status.schedule))]


def status_message(status: SyncStatus) -> Message:
    return Message(f"{TITLE}: status", status_blocks(status))


def schedule_message(schedule: SyncSchedule | None) -> Message:
    return Message(schedule_line(schedule), [section(schedule_line(schedule))])


def home_blocks(status: SyncStatus, *, rootly_connected: bool) -> list[Block]:
    """The sync's part of App Home: the last result and the schedule."""
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text=PlainTextObject(text=TITLE))]
    if not rootly_connected:
        not_connected = "Rootly is not connected: an admin can add its key with `/cortex connect`."
        return [*blocks, section(not_connected)]
    return [*blocks, *status_blocks(status)]
