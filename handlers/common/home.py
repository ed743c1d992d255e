"""App Home: the workspace at a glance, and the parts of it that features show on their own too.

The home tab shows the connection, the last sync and its schedule, and the channels' digests. The
home feature publishes it when the tab is opened and the connect feature after a connection, and
the sync and digest answers show the same status and schedule lines, so they are built here, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.digests import Digest, Scope
from bot.sync import BY_CLI, BY_SCHEDULE, Status, SyncReport, SyncSchedule, SyncStatus
from bot.sync.report import count_phrases
from bot.workspaces import Connection
from handlers.common.blocks import (
    SECTION_TEXT_LIMIT,
    connection_summary,
    context,
    escaped,
    fitted,
    moment,
    not_connected_blocks,
    plain_blocks,
    section,
)
from handlers.common.context import Invocation

SYNC_TITLE = "Cortex → Rootly sync"
SHOWN_PROBLEMS = 5


async def publish_home(invocation: Invocation, user_id: str) -> None:
    services = invocation.services
    team_id = invocation.team_id
    connection = await services.workspaces.get(team_id)
    if connection is None:
        view = home_view(None)
    else:
        status, digests = await asyncio.gather(
            services.sync.status(team_id), services.digests.for_workspace(team_id)
        )
        view = home_view(connection, status, digests)
    await invocation.client.views_publish(user_id=user_id, view=view)


def home_view(
    connection: Connection | None,
    sync_status: SyncStatus | None = None,
    digests: Sequence[Digest] = (),
) -> View:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Cortex"))]
    if connection is None:
        blocks += not_connected_blocks()
    else:
        blocks += plain_blocks(connection_summary(connection))
        if sync_status is not None:
            blocks += sync_home_blocks(sync_status, rootly_connected=connection.has_rootly)
        blocks += [DividerBlock(), *digest_home_blocks(digests)]
    blocks += [DividerBlock(), *plain_blocks("Type `/cortex help` in any channel to get started.")]
    return View(type="home", blocks=blocks)


# --- the sync ------------------------------------------------------------------------------------


def started_by(triggered_by: str) -> str:
    if triggered_by == BY_SCHEDULE:
        return "the schedule"
    if triggered_by == BY_CLI:
        return "the command line"
    return f"<@{triggered_by}>"


def sync_counts(report: SyncReport) -> str:
    return ", ".join(count_phrases(report)) or "no services to sync"


def sync_outcome(report: SyncReport) -> str:
    if report.status is Status.FAILED:
        return ":x: failed"
    if report.status is Status.PARTIAL:
        return f":warning: finished with {report.counts.failed:,} failed"
    return ":white_check_mark: finished"


def listed(title: str, lines: Sequence[str], total: int, limit: int) -> list[Block]:
    """A titled list of its first `limit` lines, saying how many more of `total` there are."""
    if not lines:
        return []
    shown = min(limit, len(lines))
    more = f"\n…and {total - shown:,} more" if total > shown else ""
    return [section(f"*{title}*\n" + "\n".join(lines[:shown]) + more)]


def sync_errors(report: SyncReport) -> list[Block]:
    lines = [f"• {escaped(error)}" for error in report.errors]
    return listed("Errors", lines, max(len(lines), report.counts.failed), SHOWN_PROBLEMS)


def _last_run(report: SyncReport | None) -> list[Block]:
    if report is None:
        return [section("No sync has run in this workspace yet.")]
    heading = (
        f"*Last sync* {moment(report.finished_at)}, started by "
        f"{started_by(report.triggered_by)}: {sync_outcome(report)} — {sync_counts(report)}."
    )
    return [section(heading), *sync_errors(report)]


def schedule_line(schedule: SyncSchedule | None) -> str:
    if schedule is None:
        return "Automatic sync: off (`/cortex sync auto hourly` or `daily` turns it on)."
    return (
        f"Automatic sync: {schedule.frequency}, next {moment(schedule.next_due_at)} "
        f"(set by <@{schedule.set_by}>)."
    )


def sync_status_blocks(status: SyncStatus) -> list[Block]:
    running = (
        [section(":arrows_counterclockwise: A sync is running now.")] if status.running else []
    )
    return [*running, *_last_run(status.last), context(schedule_line(status.schedule))]


def sync_home_blocks(status: SyncStatus, *, rootly_connected: bool) -> list[Block]:
    """The sync's part of App Home: the last result and the schedule."""
    blocks: list[Block] = [DividerBlock(), HeaderBlock(text=PlainTextObject(text=SYNC_TITLE))]
    if not rootly_connected:
        not_connected = "Rootly is not connected: an admin can add its key with `/cortex connect`."
        return [*blocks, section(not_connected)]
    return [*blocks, *sync_status_blocks(status)]


# --- digests -------------------------------------------------------------------------------------


def scope_text(scope: Scope) -> str:
    if scope.group is None and scope.owner is None:
        return "all services"
    group = f" in group `{escaped(scope.group)}`" if scope.group else ""
    owner = f" owned by `{escaped(scope.owner)}`" if scope.owner else ""
    return f"services{group}{owner}"


def digest_schedule(digest: Digest) -> str:
    return f"{digest.recurrence.describe()}, {scope_text(digest.scope)}"


def next_post(digest: Digest) -> str:
    if digest.disabled_reason:
        reason = escaped(digest.disabled_reason)
        return f":no_entry: off: I could not post in the channel (Slack said `{reason}`)"
    return f"next {moment(digest.next_due_at)}"


def digest_home_blocks(digests: Sequence[Digest]) -> list[Block]:
    """The App Home section: the workspace's digests, their channel, schedule and next post."""
    if not digests:
        return [section("*Digests*\nNone yet: `/cortex digest daily` in a channel schedules one.")]
    lines = [
        f"• <#{digest.channel_id}> {digest_schedule(digest)} — {next_post(digest)}"
        for digest in digests
    ]
    heading = "*Digests*"
    return [section(f"{heading}\n{fitted(lines, SECTION_TEXT_LIMIT - len(heading) - 1)}")]
