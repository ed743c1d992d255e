"""What the incident modal does on submit, without Slack: link services to a Rootly incident and
record the incident on each service in Cortex. Each part reports what it did and what failed, and
one failure never undoes or stops the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.catalog import Catalog
from bot.claims import RequestClaims
from bot.cortex.models import NewCustomEvent
from bot.errors import ApiError
from bot.rootly import RootlyClient
from bot.rootly.models import RootlyIncident

INCIDENT_EVENT_TYPE = "INCIDENT"
# Rootly's statuses of an incident still being worked on; a new one starts in triage.
ACTIVE_STATUSES = ("in_triage", "started", "mitigated")


@dataclass
class StepResult:
    done: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def incident_choices(rootly: RootlyClient, channel_id: str) -> list[RootlyIncident]:
    """The channel's own incidents first, then the other active ones, most recent first."""
    in_channel, active = await asyncio.gather(
        rootly.list_incidents(slack_channel_id=channel_id) if channel_id else _none(),
        rootly.list_incidents(statuses=ACTIVE_STATUSES),
    )
    seen = {incident.id for incident in in_channel}
    return [*in_channel, *(incident for incident in active if incident.id not in seen)]


async def _none() -> list[RootlyIncident]:
    return []


async def attach_services(
    rootly: RootlyClient, incident: RootlyIncident, tags: Sequence[str], sync_command: str
) -> StepResult:
    """Add the Rootly services synced from these Cortex tags, keeping the incident's own. Those
    not in Rootly yet are named, with `sync_command` (how a person runs a sync) to bring them."""
    outcome = StepResult()
    found = await asyncio.gather(*(rootly.list_services(cortex_id=tag) for tag in tags))
    ids = {tag: services[0].id for tag, services in zip(tags, found, strict=True) if services}
    missing = [tag for tag in tags if tag not in ids]
    if missing:
        outcome.notes.append(
            f"not in Rootly yet: {', '.join(missing)} (an admin can run `{sync_command}`)"
        )
    if ids:
        await rootly.attach_services(incident.id, list(ids.values()))
        outcome.done.append(f"attached {', '.join(ids)} to {incident.title}")
    return outcome


async def record_incident_events(
    catalog: Catalog,
    claims: RequestClaims,
    request_id: str,
    tags: Sequence[str],
    incident: RootlyIncident | None,
) -> StepResult:
    """One INCIDENT event per service, once per submitted modal; failures are per service."""
    event = NewCustomEvent(
        type=INCIDENT_EVENT_TYPE,
        title=incident.title if incident else "Incident",
        url=incident.url if incident else None,
        timestamp=datetime.now(UTC),
    )
    outcome = StepResult()

    async def record(tag: str) -> None:
        if not await claims.claim(catalog.team_id, "incident-event", request_id, tag):
            return
        try:
            await catalog.add_custom_event(tag, event)
        except ApiError as error:
            outcome.failures.append(f"event on {tag}: {error.detail}")
        else:
            outcome.done.append(f"recorded an {INCIDENT_EVENT_TYPE} event on {tag}")

    await asyncio.gather(*(record(tag) for tag in tags))
    return outcome
