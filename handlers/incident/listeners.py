"""The incident modal: open at once (from the `incident` subcommand or the two "Incident context"
shortcuts), refresh the context as services are picked, act on submit."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.errors import BotError, CallError, RootlyNotConnectedError
from bot.incident import StepResult, attach_services, incident_choices, record_incident_events
from bot.rootly.models import RootlyIncident
from bot.services import Services
from bot.snapshot import ServiceSnapshot, take_snapshot
from bot.workspaces import Connection
from handlers.common import ids
from handlers.common.acking import continue_in_background
from handlers.common.blocks import service_people
from handlers.common.context import Invocation, post_message, tell_user
from handlers.common.errors import slack_refusal, user_message
from handlers.common.mrkdwn import Mrkdwn
from handlers.common.people import slack_people
from handlers.incident.blocks import RECENT, Snapshots, incident_summary
from handlers.incident.grammar import Incident
from handlers.incident.modals import IncidentForm, incident_modal

log = logging.getLogger(__name__)

INCIDENTS_TTL = 30.0


async def _incidents(
    services: Services, connection: Connection, channel: str
) -> list[RootlyIncident] | None:
    """Incident choices for the picker, cached briefly: every refresh of the modal needs them."""
    if connection.rootly_key is None:
        return None
    rootly = services.rootly_client(connection.rootly_key.get_secret_value())
    key = (connection.team_id, *rootly.identity, "incident-choices", channel)
    cached = await services.cache.get_or_fetch(
        key, INCIDENTS_TTL, lambda: incident_choices(rootly, channel)
    )
    return cached.value


def _linked_to(channel: str, incidents: Sequence[RootlyIncident] | None) -> str | None:
    linked = [incident.id for incident in incidents or () if incident.slack_channel_id == channel]
    return linked[0] if linked else None


async def _snapshots(
    catalog: Catalog, tags: Sequence[str]
) -> dict[str, ServiceSnapshot | CallError]:
    found = await asyncio.gather(
        *(take_snapshot(catalog, tag, events_since=RECENT) for tag in tags),
        return_exceptions=True,
    )
    for outcome in found:
        if isinstance(outcome, BaseException) and not isinstance(outcome, CallError):
            raise outcome
    return dict(zip(tags, found, strict=True))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Picks:
    """What the person chose in the modal so far."""

    channel: str
    tags: tuple[str, ...]
    incident_id: str | None
    actions: tuple[str, ...] | None  # None: the choices were not shown yet


def _read(view: dict[str, Any]) -> Picks:
    state = view["state"]["values"]

    def picked(block_id: str, action_id: str) -> dict[str, Any]:
        return dict(state.get(block_id, {}).get(action_id, {}))

    tags = picked(ids.INCIDENT_SERVICES_BLOCK, ids.INCIDENT_SERVICES).get("selected_options")
    incident = picked(ids.INCIDENT_BLOCK, ids.INCIDENT_SELECT).get("selected_option")
    shown = ids.INCIDENT_ACTIONS_BLOCK in state
    actions = picked(ids.INCIDENT_ACTIONS_BLOCK, ids.INCIDENT_ACTIONS).get("selected_options")
    return Picks(
        channel=json.loads(view.get("private_metadata") or "{}").get("channel", ""),
        tags=tuple(option["value"] for option in tags or ()),
        incident_id=incident["value"] if incident else None,
        actions=tuple(option["value"] for option in actions or ()) if shown else None,
    )


async def _form(services: Services, team_id: str, view: dict[str, Any]) -> IncidentForm:
    picks = _read(view)
    slash = services.settings.slack_command
    connection = await services.connection(team_id)
    snapshots, incidents = await asyncio.gather(
        _snapshots(services.catalog(connection), picks.tags),
        _incidents(services, connection, picks.channel),
        return_exceptions=True,
    )
    if isinstance(snapshots, BaseException):
        raise snapshots
    if isinstance(incidents, BaseException) and not isinstance(incidents, CallError):
        raise incidents
    # Rootly failing costs the incident picker, not the services' context.
    problem = user_message(incidents, slash) if isinstance(incidents, CallError) else None
    listed = None if isinstance(incidents, CallError) else incidents
    return IncidentForm(
        channel=picks.channel,
        slash=slash,
        tags=picks.tags,
        snapshots=snapshots,
        incidents=listed,
        incidents_problem=problem,
        incident_id=picks.incident_id or _linked_to(picks.channel, listed),
        picked_actions=picks.actions,
    )


async def open_incident_modal(invocation: Invocation) -> None:
    """Open first (the trigger lasts 3 s), then add the Rootly incidents once they are known."""
    first = IncidentForm(channel=invocation.channel_id, slash=invocation.slash, loading=True)
    view = await invocation.open_loading_modal(incident_modal(first))
    form = await _form(invocation.services, invocation.team_id, {**view, "state": {"values": {}}})
    await _update(invocation.client, view, form)


async def _update(client: AsyncWebClient, view: dict[str, Any], form: IncidentForm) -> None:
    try:
        await client.views_update(view_id=view["id"], hash=view["hash"], view=incident_modal(form))
    except SlackApiError as error:
        # hash_conflict: a newer pick is being shown already; this stale refresh gives way.
        if error.response.get("error") != "hash_conflict":
            raise
        log.info("skipped a stale refresh of incident modal %s", view["id"])


async def incident_command(invocation: Invocation, _command: Incident) -> None:
    await open_incident_modal(invocation)


async def refresh(invocation: Invocation) -> None:
    """Services picked or actions ticked: the context and the submit button follow."""
    view = invocation.body["view"]
    form = await _form(invocation.services, invocation.team_id, view)
    await _update(invocation.client, view, form)


def _form_errors(picks: Picks) -> dict[str, str]:
    errors = {}
    if not picks.tags:
        errors[ids.INCIDENT_SERVICES_BLOCK] = "Pick at least one affected service."
    if picks.actions == ():
        errors[ids.INCIDENT_ACTIONS_BLOCK] = "Choose at least one thing to do."
    elif ids.ATTACH_TO_INCIDENT in (picks.actions or ()) and picks.incident_id is None:
        errors[ids.INCIDENT_BLOCK] = "Pick the Rootly incident to attach the services to."
    return errors


async def submit_incident(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    errors = _form_errors(_read(body["view"]))
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    continue_in_background(apply_incident, Invocation.of(context, client, body), context)


async def _attempt(what: str, work: Awaitable[StepResult], slash: str) -> StepResult:
    """A part of the submission; its failure is reported and does not stop the others."""
    try:
        return await work
    except CallError as error:
        return _failed(what, error, slash)
    except SlackApiError as error:
        return StepResult(failures=[f"{what}: {slack_refusal(error).unescape()}"])


def _failed(what: str, error: BotError, slash: str) -> StepResult:
    # Plain text, as the core's steps report theirs: `_result` escapes every line once.
    return StepResult(failures=[f"{what}: {user_message(error, slash).unescape()}"])


async def _post_summary(
    invocation: Invocation, picks: Picks, snapshots: Snapshots, incident: RootlyIncident | None
) -> StepResult:
    known = [found for found in snapshots.values() if isinstance(found, ServiceSnapshot)]
    emails = [email for found in known for email in service_people(found)]
    people = await slack_people(invocation.client, invocation.services, invocation.team_id, emails)
    summary = incident_summary(picks.tags, snapshots, incident, invocation.slash, people)
    await post_message(invocation.client, picks.channel, summary)
    return StepResult(done=["posted the context in the channel"])


def _submitted_actions(picks: Picks, slash: str) -> tuple[str, ...]:
    """What the person ticked; submitted before the choices showed, what the button said then."""
    if picks.actions is not None:
        return picks.actions
    return IncidentForm(channel=picks.channel, slash=slash, loading=True).actions


async def apply_incident(invocation: Invocation) -> None:
    """Do what the person chose, on the incident they picked: Rootly's incidents are not listed
    again, so a list that changed since (or Rootly failing now) cannot change what is done."""
    services, slash = invocation.services, invocation.slash
    picks = _read(invocation.body["view"])
    actions = _submitted_actions(picks, slash)
    connection = await services.connection(invocation.team_id)
    snapshots = await _snapshots(services.catalog(connection), picks.tags)
    outcomes: list[StepResult] = []
    rootly, incident = None, None
    if picks.incident_id:
        try:
            rootly = services.rootly_client(_rootly_key(connection))
            incident = await rootly.get_incident(picks.incident_id)
        except BotError as error:
            what = "attaching" if ids.ATTACH_TO_INCIDENT in actions else "reading the incident"
            outcomes.append(_failed(what, error, slash))
    work = []
    if ids.ATTACH_TO_INCIDENT in actions and rootly and incident:
        attaching = attach_services(rootly, incident, picks.tags, f"{slash} sync")
        work.append(_attempt("attaching", attaching, slash))
    if ids.RECORD_INCIDENT_EVENTS in actions:
        catalog = services.catalog(connection)
        view_id = invocation.body["view"]["id"]
        events = record_incident_events(catalog, services.claims, view_id, picks.tags, incident)
        work.append(_attempt("recording events", events, slash))
    if ids.POST_INCIDENT_SUMMARY in actions and picks.channel:
        posting = _post_summary(invocation, picks, snapshots, incident)
        work.append(_attempt("posting", posting, slash))
    outcomes += await asyncio.gather(*work)
    await tell_user(invocation.client, invocation.user_id, picks.channel or None, _result(outcomes))


def _rootly_key(connection: Connection) -> str:
    if connection.rootly_key is None:
        raise RootlyNotConnectedError(connection.team_id)
    return connection.rootly_key.get_secret_value()


def _result(outcomes: Sequence[StepResult]) -> Mrkdwn:
    said = [
        Mrkdwn("{} {}").format(Mrkdwn(icon), line)
        for icon, lines in (
            (":white_check_mark:", [line for outcome in outcomes for line in outcome.done]),
            (":information_source:", [line for outcome in outcomes for line in outcome.notes]),
            (":x:", [line for outcome in outcomes for line in outcome.failures]),
        )
        for line in lines
    ]
    return Mrkdwn("Incident context:\n{}").format(
        Mrkdwn("\n").join(said) or Mrkdwn("nothing to do.")
    )
