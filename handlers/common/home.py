"""App Home: the workspace at a glance, and the parts of it that features show on their own too.

The home tab shows the connection, the last sync and its schedule, the channels' digests and the
incident autopilot. The home feature publishes it when the tab is opened and the connect feature
after a connection, and the sync, digest and autopilot answers show the same status lines, so
they are built here, once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from bot.autopilot import AutopilotSettings, LastDelivery, WebhookOutcome
from bot.autopilot.timeline import window_text
from bot.digests import Digest, Scope
from bot.sync import (
    BY_CLI,
    BY_SCHEDULE,
    FieldChoice,
    Status,
    SyncReport,
    SyncSchedule,
    SyncStatus,
)
from bot.sync.report import count_phrases
from bot.workspaces import ConnectionInfo
from handlers.common.blocks import connection_summary, not_connected_blocks
from handlers.common.context import Invocation
from handlers.common.errors import slack_refusal
from handlers.common.kit import SECTION_TEXT, context, fitted, header, home, section
from handlers.common.mrkdwn import Mrkdwn, channel_link, escaped, mention, moment

SYNC_TITLE = "Cortex → Rootly sync"
SHOWN_PROBLEMS = 5


async def publish_home(invocation: Invocation, user_id: str) -> None:
    services = invocation.services
    team_id = invocation.team_id
    connection = await services.workspaces.describe(team_id)
    if connection is None:
        view = home_view(invocation.slash, None)
    else:
        status, digests, autopilot = await asyncio.gather(
            services.sync.status(team_id),
            services.digests.for_workspace(team_id),
            services.autopilot.status(team_id),
        )
        view = home_view(invocation.slash, connection, status, digests, autopilot)
    await invocation.client.views_publish(user_id=user_id, view=view)


def home_view(
    slash: str,
    connection: ConnectionInfo | None,
    sync_status: SyncStatus | None = None,
    digests: Sequence[Digest] = (),
    autopilot: AutopilotSettings | None = None,
) -> View:
    blocks: list[Block] = [header("Cortex")]
    if connection is None:
        blocks += not_connected_blocks(slash)
    else:
        blocks.append(section(connection_summary(connection, slash)))
        if sync_status is not None:
            blocks += sync_home_blocks(sync_status, slash, rootly_connected=connection.has_rootly)
        blocks += [DividerBlock(), *digest_home_blocks(digests, slash)]
        blocks += [
            DividerBlock(),
            *autopilot_status_blocks(autopilot, connection.has_rootly, slash),
        ]
    help_line = Mrkdwn("Type `{} help` in any channel to get started.").format(slash)
    blocks += [DividerBlock(), section(help_line)]
    return home(blocks)


# --- the sync ------------------------------------------------------------------------------------


def started_by(triggered_by: str) -> Mrkdwn:
    if triggered_by == BY_SCHEDULE:
        return Mrkdwn("the schedule")
    if triggered_by == BY_CLI:
        return Mrkdwn("the command line")
    return mention(triggered_by)


def sync_counts(report: SyncReport) -> Mrkdwn:
    return Mrkdwn(", ").join(count_phrases(report)) or Mrkdwn("no services to sync")


def sync_outcome(report: SyncReport) -> Mrkdwn:
    if report.status is Status.FAILED:
        return Mrkdwn(":x: failed")
    if report.status is Status.INTERRUPTED:
        return Mrkdwn(":double_vertical_bar: interrupted (the bot was stopped); run it again")
    if report.status is Status.PARTIAL:
        return Mrkdwn(":warning: finished with {:,} failed").format(report.counts.failed)
    return Mrkdwn(":white_check_mark: finished")


def listed(title: str, lines: Sequence[Mrkdwn], total: int, limit: int) -> list[Block]:
    """A titled list of its first `limit` lines, as many whole ones as fit in a section, saying
    how many more of `total` there are."""
    if not lines:
        return []
    heading = Mrkdwn("*{}*").format(title)
    room = SECTION_TEXT - len(heading) - len(f"\n…and {total:,} more")
    shown: list[Mrkdwn] = []
    for line in lines[:limit]:
        room -= len(line) + 1
        if room < 0:
            break
        shown.append(line)
    more = Mrkdwn("\n…and {:,} more").format(total - len(shown)) if total > len(shown) else ""
    return [section(Mrkdwn("\n").join([heading, *shown]) + more)]


def sync_errors(report: SyncReport) -> list[Block]:
    lines = [Mrkdwn("• {}").format(error) for error in report.errors]
    return listed("Errors", lines, max(len(lines), report.counts.failed), SHOWN_PROBLEMS)


def _last_run(report: SyncReport | None) -> list[Block]:
    if report is None:
        return [section(Mrkdwn("No sync has run in this workspace yet."))]
    heading = Mrkdwn("*Last sync* {}, started by {}: {} — {}.").format(
        moment(report.finished_at),
        started_by(report.triggered_by),
        sync_outcome(report),
        sync_counts(report),
    )
    return [section(heading), *sync_errors(report)]


def schedule_line(schedule: SyncSchedule | None, slash: str) -> Mrkdwn:
    if schedule is None:
        return Mrkdwn("Automatic sync: off (`{} sync auto hourly` or `daily` turns it on).").format(
            slash
        )
    return Mrkdwn("Automatic sync: {}, next {} (set by {}).").format(
        schedule.frequency, moment(schedule.next_due_at), mention(schedule.set_by)
    )


def owned_fields(choice: FieldChoice | None) -> str:
    """What the sync writes on Rootly's services, in words: "name, description and owners"."""
    names = [
        "name",
        "description",
        *(f.label.lower() for f in (choice.ordered() if choice else ())),
    ]
    return ", ".join(names[:-1]) + " and " + names[-1]


def fields_line(choice: FieldChoice | None, slash: str) -> Mrkdwn:
    if choice is None:
        return Mrkdwn(
            "Fields: the sync owns name and description (`{} sync fields` adds owners, "
            "repository, paging or Slack channels)."
        ).format(slash)
    return Mrkdwn("Fields: the sync owns {} (set by {} {}; `{} sync fields` changes them).").format(
        owned_fields(choice), mention(choice.set_by), moment(choice.set_at), slash
    )


def sync_status_blocks(status: SyncStatus, slash: str) -> list[Block]:
    running = Mrkdwn(":arrows_counterclockwise: A sync is running now.")
    return [
        *([section(running)] if status.running else []),
        *_last_run(status.last),
        context(schedule_line(status.schedule, slash)),
        context(fields_line(status.fields, slash)),
    ]


def sync_home_blocks(status: SyncStatus, slash: str, *, rootly_connected: bool) -> list[Block]:
    """The sync's part of App Home: the last result and the schedule."""
    blocks: list[Block] = [DividerBlock(), header(SYNC_TITLE)]
    if not rootly_connected:
        not_connected = Mrkdwn(
            "Rootly is not connected: an admin can add its key with `{} connect`."
        ).format(slash)
        return [*blocks, section(not_connected)]
    return [*blocks, *sync_status_blocks(status, slash)]


# --- digests -------------------------------------------------------------------------------------


def scope_text(scope: Scope) -> Mrkdwn:
    if scope.group is None and scope.owner is None:
        return Mrkdwn("all services")
    group = Mrkdwn(" in group `{}`").format(scope.group) if scope.group else ""
    owner = Mrkdwn(" owned by `{}`").format(scope.owner) if scope.owner else ""
    return Mrkdwn("services{}{}").format(group, owner)


def digest_schedule(digest: Digest) -> Mrkdwn:
    return Mrkdwn("{}, {}").format(digest.recurrence.describe(), scope_text(digest.scope))


def next_post(digest: Digest) -> Mrkdwn:
    if digest.disabled_reason:
        return Mrkdwn(":no_entry: off: I could not post in the channel ({})").format(
            slack_refusal(digest.disabled_reason)
        )
    return Mrkdwn("next {}").format(moment(digest.next_due_at))


def digest_home_blocks(digests: Sequence[Digest], slash: str) -> list[Block]:
    """The App Home section: the workspace's digests, their channel, schedule and next post."""
    heading = Mrkdwn("*Digests*")
    if not digests:
        none_yet = Mrkdwn("None yet: `{} digest daily` in a channel schedules one.").format(slash)
        return [section(Mrkdwn("\n").join((heading, none_yet)))]
    lines = [
        Mrkdwn("• {} {} — {}").format(
            channel_link(digest.channel_id), digest_schedule(digest), next_post(digest)
        )
        for digest in digests
    ]
    body = fitted(lines, SECTION_TEXT - len(heading) - 1)
    return [section(Mrkdwn("\n").join((heading, body)))]


# --- the incident autopilot ----------------------------------------------------------------------


def autopilot_status_blocks(
    settings: AutopilotSettings | None, rootly_connected: bool, slash: str
) -> list[Block]:
    """Whether the autopilot is on, where it posts, how far back it looks, the last delivery."""
    if settings is None:
        how = (
            Mrkdwn("an admin can turn it on with `{} incidents auto on`.").format(slash)
            if rootly_connected
            else Mrkdwn("it needs Rootly: an admin can add its key with `{} connect`.").format(
                slash
            )
        )
        return [section(Mrkdwn("*Incident autopilot*: off; {}").format(how))]
    webhook = (
        "registered in Rootly by the bot" if settings.endpoint_id else "entered in Rootly by hand"
    )
    lines = [
        Mrkdwn("*Incident autopilot*: on since {} (set by {}); the webhook was {}.").format(
            moment(settings.enabled_at), mention(settings.enabled_by), webhook
        ),
        Mrkdwn(
            "Posts in each incident's channel, or in {} when it has none or I may not post "
            "there; shows what changed in the {} before an incident began."
        ).format(channel_link(settings.channel_id), window_text(settings.window)),
    ]
    return [
        section(Mrkdwn("\n").join(lines)),
        context(_last_delivery(settings.last_delivery)),
    ]


def _last_delivery(last: LastDelivery | None) -> Mrkdwn:
    if last is None:
        return Mrkdwn("No delivery from Rootly yet.")
    if last.outcome in (WebhookOutcome.POSTED, WebhookOutcome.UPDATED):
        where = channel_link(last.channel_id or "")
        without = Mrkdwn(" (not available then: {})").format(last.detail) if last.detail else ""
        what = Mrkdwn("{} in {}{}").format(last.outcome, where, without)
    elif last.outcome is WebhookOutcome.UNCHANGED:
        what = Mrkdwn("nothing new to show")
    else:
        what = escaped(last.detail or last.outcome)
    return Mrkdwn("Last delivery {}: incident *{}*, {}.").format(
        moment(last.at), last.incident_title or last.incident_id, what
    )
