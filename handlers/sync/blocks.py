"""The Cortex → Rootly sync in Slack: progress, summary, dry-run plan, status, schedule.

Each builder returns a `Message` (the notification text and the blocks) or blocks alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.models.blocks import Block

from bot.sync import Action, SyncProgress, SyncReport, SyncSchedule, SyncStatus
from bot.sync.report import (
    ChangeLine,
    change_groups,
    field_words,
    legend,
    plan_text,
)
from handlers.common import ids
from handlers.common.context import TextFile
from handlers.common.errors import slack_refusal
from handlers.common.home import (
    SHOWN_PROBLEMS,
    SYNC_TITLE,
    schedule_line,
    started_by,
    sync_counts,
    sync_outcome,
    sync_status_blocks,
)
from handlers.common.kit import (
    MESSAGE_BUDGET,
    SECTION_TEXT,
    Confirm,
    Message,
    actions,
    button,
    context,
    fitted,
    fitting,
    section,
    weight,
)
from handlers.common.mrkdwn import Mrkdwn, cut, escaped, moment, plural

# How much of a report a message lists; the counts are always whole.
SHOWN_CHANGES = 15
# The lists' share of the message's budget: the heading, the Apply button with its dialog and the
# footer take well under the rest.
DETAILS_BUDGET = MESSAGE_BUDGET - 2_000
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
        # Plain text, not code: Slack shows code in red, and a healthy sync is not an error.
        failed = f", {progress.failed} failed" if progress.failed else ""
        line = Mrkdwn("{}  {:,} of {:,} services written{}").format(
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
    text = Mrkdwn("• `{}` {}").format(line.tag, line.name)
    for diff in line.diffs:
        text += Mrkdwn("\n      {}: {} → {}").format(
            field_words(diff), _value(diff.before), _value(diff.after)
        )
    return cut(text, CHANGE_TEXT)


@dataclass
class _Details:
    """The report's lists, what needs a person first, each cut to fit its section, as many as fit
    in the message's budget; `whole` says whether everything was listed (if not, the full plan goes
    in a file)."""

    blocks: list[Block] = field(default_factory=list)
    whole: bool = True
    room: int = DETAILS_BUDGET

    def add(self, title: Mrkdwn, lines: Sequence[Mrkdwn], limit: int = SHOWN_PROBLEMS) -> None:
        if not lines:
            return
        heading = Mrkdwn("*{}* ({:,})").format(title, len(lines))
        room = SECTION_TEXT - len(heading) - 1
        if self.take(section(Mrkdwn("{}\n{}").format(heading, fitted(lines, room, limit)))):
            self.whole = self.whole and len(fitting(lines, room, limit)) == len(lines)

    def count_only(self, text: Mrkdwn) -> None:
        self.take(section(text))
        self.whole = False

    def take(self, block: Block) -> bool:
        """Adds the block if the budget has room left for it (if not, the list is partial)."""
        if weight(block) > self.room:
            self.whole = False
            return False
        self.room -= weight(block)
        self.blocks.append(block)
        return True


def _details(report: SyncReport) -> _Details:
    details = _Details()
    details.add(Mrkdwn("Errors"), [Mrkdwn("• {}").format(error) for error in report.errors])
    details.add(
        Mrkdwn("Conflicts, not written until the names are unambiguous in Rootly or Cortex"),
        [Mrkdwn("• {}").format(conflict) for conflict in report.conflicts],
    )
    details.add(
        Mrkdwn("Archived in Cortex, left in Rootly"),
        [Mrkdwn("• `{}`").format(tag) for tag in report.archived_upstream],
    )
    creates = None
    for group in change_groups(report):
        if group.action is Action.CREATE:
            creates = group
        else:
            details.add(
                escaped(group.title), [_change(line) for line in group.changes], SHOWN_CHANGES
            )
    details.add(
        Mrkdwn("Left as Rootly has them"), [Mrkdwn("• {}").format(note) for note in report.notes]
    )
    if creates is not None:
        # Plain creates come last, as a count: nothing in Rootly is overwritten by them.
        details.count_only(
            Mrkdwn("*{}* ({:,}): services new to Rootly, named and described as in Cortex.").format(
                creates.title, len(creates.changes)
            )
        )
    if legend(report):
        entries = [Mrkdwn("_{}_").format(entry) for entry in legend(report)]
        details.take(context(Mrkdwn("\n").join(entries)))
    return details


def _duration(started: datetime, finished: datetime) -> str:
    seconds = round((finished - started).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def summary_message(report: SyncReport) -> Message:
    """A finished sync's message; when it cannot list everything, the full list goes in its
    thread (`full_plan_file`)."""
    heading = Mrkdwn("*{}* {}: {}.").format(SYNC_TITLE, sync_outcome(report), sync_counts(report))
    details = _details(report)
    footer = Mrkdwn("Started by {} · took {}").format(
        started_by(report.triggered_by), _duration(report.started_at, report.finished_at)
    )
    if not details.whole:
        footer += Mrkdwn(" · every change is listed in a file in the thread")
    blocks = [section(heading), *details.blocks, context(footer)]
    return Message(Mrkdwn("{}: {}").format(SYNC_TITLE, sync_counts(report)), blocks)


def lists_everything(report: SyncReport) -> bool:
    """Whether the report's message names every change (otherwise it comes with the full plan)."""
    return _details(report).whole


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


def _apply_confirm(report: SyncReport) -> Confirm:
    counts = report.counts
    writes = [
        f"{count:,} to {verb}"
        for verb, count in (
            ("create", counts.created),
            ("update", counts.updated),
            ("adopt", counts.adopted),
        )
        if count
    ]
    return Confirm(
        title="Write to Rootly?",
        text=Mrkdwn(
            "The sync will write {} to Rootly ({}); nothing is deleted. It plans again first, so "
            "changes made since this dry run are written too."
        ).format(plural(counts.written, "service"), ", ".join(writes)),
        yes="Apply",
    )


def plan_message(report: SyncReport) -> Message:
    """A dry run's answer: what a sync would do, what needs a person first, and a button to do it
    (behind Slack's "are you sure?")."""
    details = _details(report)
    in_file = (
        [] if details.whole else [Mrkdwn("The full list is in a file in your messages with me.")]
    )
    if not report.changes:
        text = Mrkdwn("Nothing to write: Rootly is in step with Cortex ({}).").format(
            sync_counts(report)
        )
        return Message(text, [section(text), *details.blocks, *map(context, in_file)])
    heading = Mrkdwn("*Dry run of the {}*: {}. Nothing was written.").format(
        SYNC_TITLE, sync_counts(report)
    )
    note = Mrkdwn("Apply runs the sync now (it plans again, so it also picks up newer changes).")
    blocks: list[Block] = [
        section(heading),
        *details.blocks,
        *actions(button("Apply", ids.SYNC_APPLY, style="primary", confirm=_apply_confirm(report))),
        context(Mrkdwn(" ").join([note, *in_file])),
    ]
    return Message(Mrkdwn("Dry run: {}").format(sync_counts(report)), blocks)


def full_plan_file(report: SyncReport) -> TextFile:
    kind = "dry-run" if report.dry_run else "sync"
    day = report.finished_at.astimezone(UTC).strftime("%Y-%m-%d-%H%M")
    return TextFile(
        name=f"rootly-{kind}-{day}.txt",
        title=f"{'Dry run' if report.dry_run else 'Sync'}: every change",
        content=plan_text(report),
    )


def full_plan_message(report: SyncReport) -> Message:
    """The admin's DM that holds a dry run's full plan in its thread."""
    text = Mrkdwn("*Dry run of the {}*, {}: {}. Every change is in the file in the thread.").format(
        SYNC_TITLE, moment(report.finished_at), sync_counts(report)
    )
    return Message(text, [section(text)])


def full_plan_refused(slack_error: str) -> Message:
    text = Mrkdwn("I could not share the file with every change ({}).").format(
        slack_refusal(slack_error)
    )
    return Message(text, [section(text)])


def status_message(status: SyncStatus, slash: str) -> Message:
    return Message(Mrkdwn("{}: status").format(SYNC_TITLE), sync_status_blocks(status, slash))


def schedule_message(schedule: SyncSchedule | None, slash: str) -> Message:
    line = schedule_line(schedule, slash)
    return Message(line, [section(line)])
