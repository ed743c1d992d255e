"""Rootly's webhook deliveries: verified, answered at once, worked on in the background.

`Deliveries.accept` checks a delivery (its token, its signature, its shape) and starts `handle` as
a tracked task; the web server answers Rootly as soon as `accept` returns. `handle`:
1. claims the event id in the database, so a delivery Rootly repeats, or one that two processes
   both receive, is worked on once;
2. takes the incident's lease, so two deliveries about one incident (created, then in triage)
   never post two messages, whichever processes they reach;
3. reads the incident again from Rootly (the delivery's copy only when Rootly does not answer),
   maps its services to Cortex by `cortex_id`, reads their context from Cortex, and posts the one
   message of the incident, or updates it in place when its services changed;
4. adds the top suspect changes to the incident's Rootly timeline, once each;
5. records what came of it, for `/cortex incidents status` and App Home.

Posting is injected (`Publisher`), so this module knows nothing of Slack.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from bot.autopilot.context import MAX_SERVICES, IncidentContext, gather_context, mapped_services
from bot.autopilot.signature import signature_problem
from bot.autopilot.store import AutopilotSettings, IncidentMessage, LastDelivery, WebhookOutcome
from bot.autopilot.timeline import new_suspects, timeline_text
from bot.crypto import DecryptionError
from bot.errors import CallError
from bot.observability import AUTOPILOT_DELIVERIES, AUTOPILOT_POST_SECONDS, begin_request
from bot.rootly import RootlyClient
from bot.rootly.models import RootlyIncident
from bot.scheduler import utc_now
from bot.sync.lease import Lease, LeaseStore
from bot.workspaces import Connection

if TYPE_CHECKING:  # the services hold the autopilot
    from bot.services import Services

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset({"incident.created", "incident.updated", "incident.in_triage"})
CLOSED_STATUSES = frozenset({"resolved", "closed", "cancelled"})
MAX_ID_LENGTH = 64
# How long one process may hold an incident (renewed while it works), and how long another
# delivery about the same incident waits for it before giving up.
LEASE_TTL = timedelta(seconds=60)
LEASE_WAIT_SECONDS = 120.0
LEASE_POLL_SECONDS = 0.2


class Verdict(StrEnum):
    """What the web server answers Rootly."""

    ACCEPTED = "accepted"  # 200: being worked on
    REJECTED = "rejected"  # 401: not provably from Rootly for a workspace that is on
    MALFORMED = "malformed"  # 400: signed, but not a delivery


@dataclass(frozen=True)
class Delivery:
    team_id: str
    event_id: str
    event_type: str
    incident_id: str
    carried: RootlyIncident | None  # the incident as the delivery describes it
    received_at: float  # time.monotonic()


@dataclass(frozen=True)
class Posted:
    channel_id: str
    ts: str
    link: str | None  # the message's permalink, for Rootly's timeline


class PublishError(Exception):
    """Slack did not post or update the message; `reason` is Slack's error code (for the log),
    `meaning` what it means for the people reading the autopilot's status."""

    def __init__(
        self,
        reason: str,
        *,
        meaning: str = "Slack refused it",
        channel_closed: bool = False,
        gone: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.meaning = meaning
        self.channel_closed = channel_closed  # the bot may not post in that channel
        self.gone = gone  # the message to update no longer exists


class Publisher(Protocol):
    async def post(self, team_id: str, channel_id: str, context: IncidentContext) -> Posted: ...

    async def update(self, team_id: str, message: Posted, context: IncidentContext) -> Posted: ...


@dataclass(frozen=True)
class Result:
    outcome: WebhookOutcome
    detail: str = ""
    incident: RootlyIncident | None = None
    channel_id: str | None = None  # where the message is


class Deliveries:
    def __init__(self, services: Services, publisher: Publisher) -> None:
        self.store = services.autopilot.store
        self._services = services
        self._publisher = publisher
        self._leases = LeaseStore(services.engine)

    # --- receiving -------------------------------------------------------------------------------

    async def accept(self, token: str, signature: str | None, body: bytes) -> Verdict:
        """Verify a delivery and start working on it; never logs the body or the token."""
        received_at = time.monotonic()
        try:
            found = await self.store.secret_for(token)
        except DecryptionError as error:
            # Refused like a bad signature: nothing unverified is acted on. Rootly retries later.
            return _rejected(f"Rootly webhook rejected: {error} (see ENCRYPTION_KEYS)")
        if found is None:
            return _rejected("Rootly webhook for an unknown token rejected")
        team_id, secret = found
        problem = signature_problem(secret.get_secret_value(), signature, body)
        if problem is not None:
            return _rejected(f"Rootly webhook for {team_id} rejected: {problem}")
        delivery = _parse(team_id, body, received_at)
        if delivery is None:
            log.warning("Rootly webhook for %s is signed but is not a delivery; ignored", team_id)
            AUTOPILOT_DELIVERIES.labels(WebhookOutcome.REJECTED).inc()
            return Verdict.MALFORMED
        self._services.tasks.spawn(
            self.handle(delivery), f"rootly {delivery.event_type} {delivery.event_id}"
        )
        return Verdict.ACCEPTED

    # --- working -------------------------------------------------------------------------------

    async def handle(self, delivery: Delivery) -> None:
        begin_request(delivery.team_id, f"rootly {delivery.event_type}")
        if delivery.event_type not in HANDLED_EVENTS:
            log.info("Rootly %s ignored: not an event the autopilot acts on", delivery.event_type)
            AUTOPILOT_DELIVERIES.labels(WebhookOutcome.SKIPPED).inc()
            return
        if not await self._services.claims.claim(
            delivery.team_id, "rootly-delivery", delivery.event_id
        ):
            log.info("Rootly delivery %s was already received", delivery.event_id)
            AUTOPILOT_DELIVERIES.labels(WebhookOutcome.DUPLICATE).inc()
            return
        try:
            result = await self._under_lease(delivery)
        except Exception:
            log.exception(
                "Rootly delivery %s (incident %s) of %s failed",
                delivery.event_id,
                delivery.incident_id,
                delivery.team_id,
            )
            result = Result(WebhookOutcome.FAILED, "something went wrong on our side (logged)")
        await self._record(delivery, result)
        AUTOPILOT_DELIVERIES.labels(result.outcome).inc()

    async def _under_lease(self, delivery: Delivery) -> Result:
        lease = await self._wait_for_lease(delivery)
        if lease is None:
            return Result(WebhookOutcome.FAILED, "another process kept the incident busy")
        try:
            return await lease.run_while_held(self._work(delivery))
        finally:
            await lease.release()

    async def _wait_for_lease(self, delivery: Delivery) -> Lease | None:
        incident = hashlib.sha256(delivery.incident_id.encode()).hexdigest()[:32]
        name = f"autopilot:{delivery.team_id}:{incident}"
        deadline = time.monotonic() + LEASE_WAIT_SECONDS
        while (lease := await self._leases.take(name, LEASE_TTL)) is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(LEASE_POLL_SECONDS)
        return lease

    async def _work(self, delivery: Delivery) -> Result:
        team_id = delivery.team_id
        settings = await self.store.get(team_id)
        if settings is None:
            return Result(WebhookOutcome.SKIPPED, "the autopilot was turned off")
        connection = await self._services.workspaces.get(team_id)
        if connection is None:
            log.warning(
                "Rootly delivery %s for %s: Cortex is not connected; nothing posted",
                delivery.event_id,
                team_id,
            )
            return Result(WebhookOutcome.SKIPPED, "not posted: Cortex is not connected")
        rootly = _rootly(self._services, connection)
        incident, missing = await self._read_incident(rootly, delivery)
        if incident is None:
            return Result(
                WebhookOutcome.FAILED, "Rootly could not be read and the delivery had no incident"
            )
        return await self._post_or_update(
            _Job(delivery, settings, connection, rootly, incident, missing)
        )

    async def _read_incident(
        self, rootly: RootlyClient | None, delivery: Delivery
    ) -> tuple[RootlyIncident | None, list[str]]:
        """The incident as Rootly has it now; as the delivery carried it when Rootly fails."""
        if rootly is None:
            return delivery.carried, ["the incident from Rootly (Rootly is not connected)"]
        try:
            incident = await rootly.get_incident(delivery.incident_id)
        except CallError as error:
            log.warning(
                "Rootly delivery %s for %s: incident %s could not be read: %s",
                delivery.event_id,
                delivery.team_id,
                delivery.incident_id,
                error,
            )
            return delivery.carried, ["the incident from Rootly (as the webhook described it)"]
        return incident, []

    async def _post_or_update(self, job: _Job) -> Result:
        incident = job.incident
        previous = await self.store.message(job.delivery.team_id, incident.id)
        if previous is None and (incident.status or "") in CLOSED_STATUSES:
            why = f"not posted: the incident is {incident.status}"
            return Result(WebhookOutcome.SKIPPED, why, incident)
        mapped = mapped_services(incident.services)
        if not mapped and previous is None:
            why = "not posted: no service maps to Cortex"
            return Result(WebhookOutcome.NO_SERVICES, why, incident)
        shown = tuple(service.cortex_id for service in mapped[:MAX_SERVICES])
        if previous is not None and previous.complete and previous.services == shown:
            return Result(
                WebhookOutcome.UNCHANGED, incident=incident, channel_id=previous.channel_id
            )
        context = await gather_context(
            self._services.catalog(job.connection),
            incident,
            mapped,
            job.settings.window,
            utc_now(),
            job.missing,
        )
        try:
            posted, outcome = await self._publish(job, context, previous)
        except PublishError as error:
            log.warning(
                "Rootly delivery %s for %s: incident %s not posted: Slack answered %s",
                job.delivery.event_id,
                job.delivery.team_id,
                incident.id,
                error.reason,
            )
            return Result(WebhookOutcome.FAILED, f"not posted: {error.meaning}", incident)
        AUTOPILOT_POST_SECONDS.observe(time.monotonic() - job.delivery.received_at)
        missing = "; ".join(context.missing)
        if missing:
            log.warning(
                "Rootly delivery %s for %s: incident %s posted without %s",
                job.delivery.event_id,
                job.delivery.team_id,
                incident.id,
                missing,
            )
        on_timeline = await self._add_to_timeline(job, context, posted, previous)
        await self.store.save_message(
            job.delivery.team_id,
            incident.id,
            IncidentMessage(
                channel_id=posted.channel_id,
                ts=posted.ts,
                services=context.cortex_ids,
                complete=context.complete,
                timeline=on_timeline,
            ),
            utc_now(),
        )
        return Result(outcome, missing, incident, posted.channel_id)

    async def _publish(
        self, job: _Job, context: IncidentContext, previous: IncidentMessage | None
    ) -> tuple[Posted, WebhookOutcome]:
        team_id = job.delivery.team_id
        if previous is not None:
            message = Posted(previous.channel_id, previous.ts, None)
            try:
                updated = await self._publisher.update(team_id, message, context)
            except PublishError as error:
                if not error.gone:
                    raise
                log.info(
                    "the message of incident %s was deleted; posting it again", job.incident.id
                )
            else:
                return updated, WebhookOutcome.UPDATED
        channels = [job.incident.slack_channel_id, job.settings.channel_id]
        return await self._post_in_first_open(team_id, channels, context), WebhookOutcome.POSTED

    async def _post_in_first_open(
        self, team_id: str, channels: Sequence[str | None], context: IncidentContext
    ) -> Posted:
        """Post in the incident's channel; in the fallback channel when it is missing or closed."""
        candidates = list(dict.fromkeys(channel for channel in channels if channel))
        for channel in candidates[:-1]:
            try:
                return await self._publisher.post(team_id, channel, context)
            except PublishError as error:
                if not error.channel_closed:
                    raise
                log.info("incident channel %s is closed to the bot (%s)", channel, error.reason)
        return await self._publisher.post(team_id, candidates[-1], context)

    async def _add_to_timeline(
        self, job: _Job, context: IncidentContext, posted: Posted, previous: IncidentMessage | None
    ) -> frozenset[str]:
        """The suspects on the incident's timeline after adding the new ones (if Rootly can)."""
        on_timeline = previous.timeline if previous else frozenset()
        changes = new_suspects(context, on_timeline)
        if not changes or job.rootly is None:
            return on_timeline
        text = timeline_text(context, changes, posted.link)
        try:
            await job.rootly.add_incident_event(job.incident.id, text)
        except CallError as error:
            log.warning(
                "Rootly delivery %s for %s: the timeline of incident %s was not updated: %s",
                job.delivery.event_id,
                job.delivery.team_id,
                job.incident.id,
                error,
            )
            return on_timeline
        return on_timeline | {change.id for change in changes}

    async def _record(self, delivery: Delivery, result: Result) -> None:
        incident = result.incident or delivery.carried
        await self.store.record_delivery(
            delivery.team_id,
            LastDelivery(
                at=utc_now(),
                incident_id=delivery.incident_id,
                incident_title=incident.title if incident else "",
                outcome=result.outcome,
                detail=result.detail,
                channel_id=result.channel_id,
            ),
        )


@dataclass(frozen=True)
class _Job:
    delivery: Delivery
    settings: AutopilotSettings
    connection: Connection
    rootly: RootlyClient | None
    incident: RootlyIncident
    missing: list[str]


def _rootly(services: Services, connection: Connection) -> RootlyClient | None:
    key = connection.rootly_key
    return None if key is None else services.rootly_client(key.get_secret_value())


def _parse(team_id: str, body: bytes, received_at: float) -> Delivery | None:
    try:
        document = json.loads(body)
        event, data = document["event"], document["data"]
        event_id, event_type = str(event["id"]), str(event["type"])
        incident_id = str(data["id"])
    except (ValueError, TypeError, KeyError):
        return None
    if not (0 < len(event_id) <= MAX_ID_LENGTH and 0 < len(incident_id) <= MAX_ID_LENGTH):
        return None
    try:
        carried: RootlyIncident | None = RootlyIncident.model_validate(data)
    except ValidationError:
        carried = None
    return Delivery(team_id, event_id, event_type, incident_id, carried, received_at)


def _rejected(line: str) -> Verdict:
    log.warning(line)
    AUTOPILOT_DELIVERIES.labels(WebhookOutcome.REJECTED).inc()
    return Verdict.REJECTED
