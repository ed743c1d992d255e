"""App Home: a place to start, and the parts of it that features show on their own too.

Everyone sees their own services (owned by them or their teams in Cortex, matched by their email),
who is on call for each and its last deploy, with buttons to look a service up or record a deploy,
and the channels' digests. Admins also see the connection (Cortex URL, key endings, Rootly, who
connected it) with buttons to reconnect and preview the sync, the sync and the incident autopilot;
members never see key endings. The home feature publishes it when the tab is opened and the connect
feature after a connection, and the sync, digest and autopilot answers show the same status lines,
so they are built here, once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, DividerBlock
from slack_sdk.models.views import View

from bot.autopilot import AutopilotSettings, LastDelivery, WebhookOutcome
from bot.autopilot.timeline import window_text
from bot.cache import Cached
from bot.catalog import Catalog
from bot.cortex.models import Deploy, Entity
from bot.digests import Digest, Scope
from bot.errors import BotError, CallError
from bot.oncall import OnCall
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
from handlers.common import ids
from handlers.common.blocks import (
    connection_summary,
    marked_deploy_line,
    named,
    not_connected_blocks,
    oncall_summary,
)
from handlers.common.context import Invocation, admin_and_deployer
from handlers.common.errors import slack_refusal
from handlers.common.kit import (
    SECTION_TEXT,
    actions,
    button,
    context,
    fitted,
    header,
    home,
    section,
)
from handlers.common.mrkdwn import Mrkdwn, channel_link, escaped, mention, moment
from handlers.common.people import NOBODY_KNOWN, People, slack_people

log = logging.getLogger(__name__)

SYNC_TITLE = "Cortex → Rootly sync"
SHOWN_PROBLEMS = 5
# The services App Home shows in full (who is on call, the last deploy): a few reads each,
# cached like the card's.
HOME_SERVICES = 5


@dataclass(frozen=True)
class OwnedService:
    entity: Entity
    oncall: OnCall | None  # None: it could not be read
    last_deploy: Deploy | None
    deploys_read: bool = True


@dataclass(frozen=True)
class Yours:
    """A person's own services, as App Home shows them: the first few in full, and how many."""

    email: str | None
    services: Sequence[OwnedService] = ()
    total: int = 0
    people: People = NOBODY_KNOWN
    # Why they could not be listed, and what to do, in words for the person.
    unavailable: Mrkdwn | None = None


@dataclass(frozen=True)
class HomeParts:
    """Everything App Home shows; the admin-only parts are None for members."""

    admin: bool
    connection: ConnectionInfo | None
    yours: Yours | None = None
    digests: Sequence[Digest] = ()
    sync_status: SyncStatus | None = None
    autopilot: AutopilotSettings | None = None


async def publish_home(invocation: Invocation, user_id: str) -> None:
    services, client, team_id = invocation.services, invocation.client, invocation.team_id
    connection, (admin, person) = await asyncio.gather(
        services.workspaces.describe(team_id),
        admin_and_deployer(client, services, team_id, user_id),
    )
    if connection is None:
        parts = HomeParts(admin, None)
    else:
        # Everything read at once: an admin's status does not wait for the member lookups.
        admin_reads = (
            [services.sync.status(team_id), services.autopilot.status(team_id)] if admin else []
        )
        yours, digests, *statuses = await asyncio.gather(
            your_services(invocation, connection, person.email),
            services.digests.for_workspace(team_id),
            *admin_reads,
        )
        parts = HomeParts(admin, connection, yours, digests, *statuses)
    await client.views_publish(user_id=user_id, view=home_view(parts, invocation.slash))


async def your_services(
    invocation: Invocation, connection: ConnectionInfo, email: str | None
) -> Yours:
    """The services owned by this person or their teams, the first few with who is on call and
    their last deploy; what fails is said, not raised (App Home has nowhere to show an error)."""
    if not email:
        return Yours(None, unavailable=no_email(invocation.slash))
    if not connection.keys_readable:
        return Yours(email, unavailable=NOT_REACHABLE)
    try:
        catalog = await invocation.catalog()
        owned = await catalog.owned_by(email)
    except BotError as error:
        log.info("no services for App Home in %s: %s", invocation.team_id, error)
        return Yours(email, unavailable=NOT_LISTED)
    shown = await asyncio.gather(*(_owned(catalog, entity) for entity in owned[:HOME_SERVICES]))
    emails = [email for found in shown if found.oncall for email in found.oncall.emails]
    people = await slack_people(invocation.client, invocation.services, invocation.team_id, emails)
    return Yours(email, shown, len(owned), people)


async def _owned(catalog: Catalog, entity: Entity) -> OwnedService:
    oncall, deploys = await asyncio.gather(
        catalog.oncall(entity.tag), catalog.deploys(entity.tag), return_exceptions=True
    )
    if isinstance(deploys, BaseException):
        _raise_unless_call_error(deploys)
        return OwnedService(entity, _value_or_none(oncall), None, deploys_read=False)
    return OwnedService(entity, _value_or_none(oncall), next(iter(deploys.value), None))


def _value_or_none(read: Cached[OnCall] | BaseException) -> OnCall | None:
    if isinstance(read, BaseException):
        _raise_unless_call_error(read)
        return None
    return read.value


def _raise_unless_call_error(error: BaseException) -> None:
    # A part Cortex could not give is shown as such; anything else is a bug to report.
    if not isinstance(error, CallError):
        raise error


def home_view(parts: HomeParts, slash: str) -> View:
    blocks: list[Block] = [header("Cortex")]
    if parts.connection is None:
        blocks += not_connected_blocks(slash, admin=parts.admin)
    else:
        if parts.yours is not None:
            blocks += your_services_blocks(parts.yours, slash)
        blocks += [DividerBlock(), *digest_home_blocks(parts.digests, slash)]
        if parts.admin:
            rootly = parts.connection.has_rootly
            blocks += [DividerBlock(), *connection_blocks(parts.connection, slash)]
            if parts.sync_status is not None:
                blocks += sync_home_blocks(parts.sync_status, slash, rootly_connected=rootly)
            blocks += [DividerBlock(), *autopilot_status_blocks(parts.autopilot, rootly, slash)]
    help_line = Mrkdwn("Type `{} help` in any channel to see everything the bot can do.").format(
        slash
    )
    blocks += [DividerBlock(), context(help_line)]
    return home(blocks)


def no_email(slash: str) -> Mrkdwn:
    return Mrkdwn(
        "Slack does not share your email with the bot, so your services cannot be found; "
        "`{} search` finds any service."
    ).format(slash)


NOT_REACHABLE = Mrkdwn("The bot cannot reach Cortex until a workspace admin reconnects it.")
NOT_LISTED = Mrkdwn("Cortex could not list your services just now; open this tab again shortly.")


# --- your services -------------------------------------------------------------------------------


def your_services_blocks(yours: Yours, slash: str) -> list[Block]:
    """The person's services: who is on call, the last deploy, a button to each card."""
    blocks: list[Block] = [header("Your services")]
    if yours.unavailable is not None:
        blocks.append(section(Mrkdwn(":warning: {}").format(yours.unavailable)))
    elif not yours.services:
        none = Mrkdwn(
            "Cortex lists no service owned by you or your teams (matched by your email, {})."
        )
        blocks.append(section(none.format(yours.email)))
    else:
        blocks += [_owned_service(found, yours.people) for found in yours.services]
        if yours.total > len(yours.services):
            more = Mrkdwn("…and {:,} more: `{} search` finds them by name.")
            blocks.append(context(more.format(yours.total - len(yours.services), slash)))
    blocks += actions(
        button("Look up a service", ids.OPEN_LOOKUP, style="primary"),
        button("Record a deploy", ids.RECORD_DEPLOY),
    )
    return blocks


def _owned_service(found: OwnedService, people: People) -> Block:
    entity = found.entity
    if not found.deploys_read:
        last = Mrkdwn("_could not be read_")
    elif found.last_deploy is None:
        last = Mrkdwn("_none recorded_")
    else:
        last = marked_deploy_line(found.last_deploy)
    lines = Mrkdwn("{}\nOn call: {}\nLast deploy: {}").format(
        named(entity.name, entity.tag), oncall_summary(found.oncall, people), last
    )
    return section(lines, accessory=button("Open", ids.SHOW_SERVICE, entity.tag))


# --- the connection (admins) ---------------------------------------------------------------------


def connection_blocks(connection: ConnectionInfo, slash: str) -> list[Block]:
    preview = button("Dry run of the sync", ids.SYNC_DRY_RUN) if connection.has_rootly else None
    return [
        header("Connection"),
        section(connection_summary(connection, slash)),
        *actions(button("Reconnect", ids.OPEN_CONNECT), preview),
    ]


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
    environment = Mrkdwn(", deploys to `{}`").format(scope.environment) if scope.environment else ""
    if scope.group is None and scope.owner is None:
        return Mrkdwn("all services{}").format(environment)
    group = Mrkdwn(" in group `{}`").format(scope.group) if scope.group else ""
    owner = Mrkdwn(" owned by `{}`").format(scope.owner) if scope.owner else ""
    return Mrkdwn("services{}{}{}").format(group, owner, environment)


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
