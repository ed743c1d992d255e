"""The blocks more than one feature shows: the deploy line, the service picker, "did you mean",
the connection and not-connected notes. Pure functions on `handlers.common.kit` (Slack's limits)
and `handlers.common.mrkdwn` (escaping)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlparse

from slack_sdk.models.blocks import Block, ExternalDataSelectElement, InputBlock

from bot.autopilot.context import Change
from bot.cortex.models import Deploy, DeployType, Entity, EntityDetails, OncallLevel, OncallUser
from bot.errors import BudgetBusyError, CallError
from bot.oncall import OnCall, OnCallSource
from bot.snapshot import ServiceSnapshot
from bot.workspaces import ConnectionInfo, masked
from handlers.common import ids
from handlers.common.kit import Message, actions, button, option, plain, section
from handlers.common.mrkdwn import Mrkdwn, cut, escaped, link, mention, moment
from handlers.common.people import NOBODY_KNOWN, People


def connect_button() -> Block:
    return actions(button("Connect Cortex", ids.OPEN_CONNECT, style="primary"))[0]


def not_connected_blocks(slash: str, *, admin: bool = True) -> list[Block]:
    """Why nothing works yet; an admin gets the button to connect, a member whom to ask."""
    if not admin:
        return [
            section(
                Mrkdwn(
                    "This workspace is not connected to Cortex yet: ask a workspace admin to "
                    "connect it with `{} connect`."
                ).format(slash)
            )
        ]
    return [
        section(
            Mrkdwn(
                "This workspace is not connected to Cortex yet. A workspace admin can connect "
                "it with `{} connect` (a Cortex API key, and optionally a Rootly key)."
            ).format(slash)
        ),
        connect_button(),
    ]


def unreadable_keys(slash: str) -> Mrkdwn:
    return Mrkdwn(
        ":warning: The stored keys cannot be read with this server's encryption keys (they were "
        "lost or changed), so nothing can reach Cortex. "
        "An admin can enter the keys again with `{} connect`."
    ).format(slash)


def connection_summary(connection: ConnectionInfo, slash: str) -> Mrkdwn:
    """The workspace's connection, as the connect modal and App Home show it."""
    rootly = (
        Mrkdwn("connected, key `{}`").format(masked(connection.rootly_key_last4))
        if connection.rootly_key_last4
        else Mrkdwn("not connected")
    )
    summary = Mrkdwn(
        ":white_check_mark: Connected to Cortex at {} with key `{}`.\nRootly: {}.\n"
        "Connected by {} {}."
    ).format(
        connection.cortex_url,
        masked(connection.cortex_key_last4),
        rootly,
        mention(connection.connected_by),
        moment(connection.connected_at),
    )
    if connection.keys_readable:
        return summary
    return Mrkdwn("\n").join((summary, unreadable_keys(slash)))


def by_whom(deploy: Deploy) -> str:
    """Who deployed, as a deploy line names them."""
    deployer = deploy.deployer
    return (deployer and (deployer.name or deployer.email)) or "someone"


def deploy_line(deploy: Deploy) -> Mrkdwn:
    """One deploy on one line, as cards, digests, incident context and confirmations show it."""
    where = Mrkdwn(" to *{}*").format(deploy.environment) if deploy.environment else ""
    kind = "" if deploy.type == "DEPLOY" else f" ({deploy.type.lower()})"
    sha = Mrkdwn(" `{}`").format(deploy.sha[:10]) if deploy.sha else ""
    return Mrkdwn("{}{}{}{} by {}, {}").format(
        link(deploy.url, deploy.title), kind, where, sha, by_whom(deploy), moment(deploy.timestamp)
    )


def change_line(change: Change) -> Mrkdwn:
    """A deploy or event as a line of a "what changed" timeline (rollbacks marked), as the
    incident autopilot and the incident modal show it."""
    if change.is_rollback:
        kind = Mrkdwn(":rewind: *Rollback*")
    elif change.is_deploy:
        kind = Mrkdwn("*{}*").format(change.kind.capitalize())
    else:
        kind = Mrkdwn("*{}* event").format(change.kind)
    where = Mrkdwn("`{}`").format(change.tag)
    if change.dependency_of:
        where += Mrkdwn(" _(`{}` depends on it)_").format(change.dependency_of)
    line = Mrkdwn("• {} of {}: {}").format(kind, where, link(change.url, change.title))
    if change.environment:
        line += Mrkdwn(" to *{}*").format(change.environment)
    if change.who:
        line += Mrkdwn(" by {}").format(change.who)
    return line + Mrkdwn(", {}").format(moment(change.when))


def marked_deploy_line(deploy: Deploy) -> Mrkdwn:
    """`deploy_line` with a rollback standing out, as lists of recent deploys show it."""
    line = deploy_line(deploy)
    return Mrkdwn(":rewind: {}").format(line) if deploy.type is DeployType.ROLLBACK else line


# The on-call providers Cortex integrates with, spelled as they spell themselves.
PROVIDERS = {
    "PAGERDUTY": "PagerDuty",
    "OPSGENIE": "Opsgenie",
    "VICTOROPS": "VictorOps",
    "XMATTERS": "xMatters",
}


def oncall_where(source: OnCallSource, level: OncallLevel) -> Mrkdwn:
    """Where an escalation level comes from: Cortex's integration by its name (PagerDuty), or
    the Rootly escalation policy, linked to its page."""
    if source is OnCallSource.CORTEX:
        return escaped(PROVIDERS.get(level.provider.upper(), level.provider))
    return Mrkdwn("{} in Rootly").format(link(level.url, level.provider))


def on_call_person(user: OncallUser, people: People, *, schedule: bool = False) -> Mrkdwn:
    """Someone on call: a mention where Slack knows their email, until when their shift runs,
    and (with `schedule`) the schedule it is part of, linked."""
    shown = people.show(user.name, user.email)
    if user.until:
        shown = Mrkdwn("{} until {}").format(shown, moment(user.until))
    if schedule and user.schedule:
        shown = Mrkdwn("{} (schedule {})").format(shown, link(user.schedule_url, user.schedule))
    return shown


def oncall_summary(oncall: OnCall | None, people: People = NOBODY_KNOWN) -> Mrkdwn:
    """Who is on call at the first escalation level, until when, and where that comes from, as
    the card and the incident context show it."""
    if oncall is None:
        return Mrkdwn("_could not be read_")
    if oncall.source is None:
        asked_rootly = OnCallSource.ROOTLY in oncall.asked
        return Mrkdwn(
            "_not known to Cortex or Rootly_" if asked_rootly else "_no on-call integration_"
        )
    if not oncall.levels:
        return Mrkdwn("_nobody on call, says {}_").format(oncall.source)
    first = [level for level in oncall.levels if level.level == oncall.levels[0].level]
    names = Mrkdwn(", ").join(
        on_call_person(user, people) for level in first for user in level.users
    )
    where = Mrkdwn(", ").join(dict.fromkeys(oncall_where(oncall.source, level) for level in first))
    return Mrkdwn("{} _({})_").format(names or Mrkdwn("_nobody on call_"), where)


def owners_line(entity: EntityDetails, people: People) -> Mrkdwn:
    """Owner teams first, then people (mentions where Slack knows their email)."""
    teams = Mrkdwn(", ").join(team.name or team.tag for team in entity.owners.teams)
    persons = Mrkdwn(", ").join(
        people.show(person.email, person.email) for person in entity.owners.individuals
    )
    shown = [part for part in (teams, persons) if part]
    return Mrkdwn(" · ").join(shown) or Mrkdwn("_no owners in Cortex_")


def service_people(snapshot: ServiceSnapshot) -> list[str | None]:
    """The emails of the people the card shows: who is on call, then the owners."""
    on_call = snapshot.oncall.emails if snapshot.oncall else []
    return [*on_call, *(person.email for person in snapshot.entity.owners.individuals)]


def service_label(name: str, tag: str) -> str:
    """A service as pickers show it: its name, with its tag."""
    return f"{name} ({tag})" if name.strip() else tag


def service_picker(
    tag: str | None, *, label: str = "Service", name: str | None = None
) -> InputBlock:
    """A typeahead fed by the options-load listener, answered from the cached catalog; a service
    already picked shows by its `name` (when known) with its tag."""
    return InputBlock(
        block_id=ids.SERVICE_BLOCK,
        label=plain(label),
        element=ExternalDataSelectElement(
            action_id=ids.SERVICE_SELECT,
            placeholder=plain("Type a name or tag"),
            min_query_length=0,
            initial_option=option(service_label(name or "", tag), tag) if tag else None,
        ),
    )


# What a row of services shows of each, so that ten "X Gateway" rows can be told apart.
ROW_DESCRIPTION = 100
ROW_TEAMS = 2


def _owned_by(entity: Entity) -> str:
    """The owner teams (the first two, then how many more), else the people."""
    teams = [team.name or team.tag for team in entity.owners.teams]
    owners = teams or [person.email for person in entity.owners.individuals]
    shown = ", ".join(owners[:ROW_TEAMS])
    more = len(owners) - ROW_TEAMS
    return f"{shown} and {more} more" if more > 0 else shown


def named(name: str, tag: str) -> Mrkdwn:
    """A service or scorecard as a line names it: its name in bold, then its tag (the tag in bold
    too when it has no name, never an empty `**`)."""
    return Mrkdwn("*{}* `{}`").format(name.strip() or tag, tag)


def service_row(entity: Entity, action_id: str = ids.SHOW_SERVICE) -> Block:
    """A service on one row with a button (its card, or what `action_id` shows of it): its name
    and tag, then its owners and the start of its description."""
    described = cut(" ".join((entity.description or "").split()), ROW_DESCRIPTION)
    about = [part for part in (_owned_by(entity), described) if part]
    lines = [named(entity.name, entity.tag)]
    if about:
        lines.append(Mrkdwn(" · ").join(about))
    return section(Mrkdwn("\n").join(lines), accessory=button("Open", action_id, entity.tag))


def suggestions(
    query: str,
    candidates: Sequence[Entity],
    slash: str,
    maybe_subcommand: str | None = None,
    action_id: str = ids.SHOW_SERVICE,
) -> list[Block]:
    """The answer to a name the catalog does not know: the closest services, each one click away.
    Text that starts with a mistyped subcommand gets that command back instead, with its words,
    and no services: what the person meant was not a service."""
    missing = Mrkdwn("No service matches `{}`.").format(query)
    if maybe_subcommand:
        meant = " ".join([maybe_subcommand, *query.split(maxsplit=1)[1:]])
        return [section(Mrkdwn("Did you mean `{} {}`? {}").format(slash, meant, missing))]
    if not candidates:
        return [section(missing)]
    said = Mrkdwn("{} Did you mean one of these?").format(missing)
    return [section(said), *(service_row(entity, action_id) for entity in candidates)]


def unknown_service_message(
    query: str,
    candidates: Sequence[Entity],
    slash: str,
    maybe_subcommand: str | None = None,
    action_id: str = ids.SHOW_SERVICE,
) -> Message:
    """ "Did you mean" for a service: each button shows the service's card, or what `action_id`
    shows of it (its scores, for the `scores` subcommand)."""
    return Message(
        Mrkdwn("No service matches {}").format(query),
        suggestions(query, candidates, slash, maybe_subcommand, action_id),
    )


def older_data_note(because: CallError, what: str) -> Mrkdwn:
    """Why `what` is older cached data: our own budget for the key, or Cortex failing; never one
    said for the other."""
    cause = (
        "this workspace's Cortex budget is busy"
        if isinstance(because, BudgetBusyError)
        else "Cortex is not answering"
    )
    return Mrkdwn("{}; {} is older cached data").format(cause, what)


def cortex_app_url(cortex_api_url: str, path: str) -> str:
    """A page of the Cortex app: the API's host with `api.` replaced by `app.`, and `path`."""
    parsed = urlparse(cortex_api_url)
    host = parsed.netloc.removeprefix("api.")
    web_host = f"app.{host}" if parsed.netloc.startswith("api.") else host
    return f"{parsed.scheme}://{web_host}{path}"


def cortex_web_url(cortex_api_url: str, tag: str) -> str:
    """The entity's page in the Cortex app (the card and the incident autopilot link to it)."""
    return cortex_app_url(cortex_api_url, f"/admin/service/{quote(tag, safe='')}")
