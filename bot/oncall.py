"""Who is on call for a service, and which source said so.

Cortex answers for services registered with its on-call integrations (PagerDuty, Opsgenie,
VictorOps, xMatters). Teams paged through Rootly On-Call are not among them, so when Cortex has
no integration for a service and the workspace connected Rootly, Rootly is asked: first for the
Rootly services that stand for the Cortex service, then for the service's owner teams.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from bot.cortex.models import EntityDetails, OncallLevel, OncallUser
from bot.rootly.client import RootlyClient
from bot.rootly.models import RootlyOncall, RootlyService

# A service's owner teams come from Cortex, so their number is not ours to choose: past this many,
# the rest are not looked up in Rootly (one request each).
OWNER_TEAMS_ASKED = 5


class OnCallSource(StrEnum):
    CORTEX = "Cortex"
    ROOTLY = "Rootly"


@dataclass(frozen=True)
class OnCall:
    """The answer of the first source that knows who is on call for a service."""

    # Which source answered; None when no source asked knows who is on call.
    source: OnCallSource | None
    # Per escalation level, lowest first; empty when the source knows that nobody is on call.
    levels: tuple[OncallLevel, ...] = ()
    asked: tuple[OnCallSource, ...] = (OnCallSource.CORTEX,)

    @property
    def emails(self) -> list[str | None]:
        """The emails of everyone on call, lowest level first (as far as the source gives them)."""
        return [user.email for level in self.levels for user in level.users]


async def rootly_oncall(rootly: RootlyClient, entity: EntityDetails) -> tuple[OncallLevel, ...]:
    """Who Rootly pages for a Cortex service now: empty when Rootly does not know."""
    services = await _rootly_services(rootly, entity)
    if services:
        found = await rootly.list_oncalls(service_ids=[service.id for service in services])
        if found:
            return _levels(rootly, found)
    teams = [team for service in services for team in service.owner_group_ids]
    if not teams:
        teams = await _owner_teams(rootly, entity)
    if not teams:
        return ()
    return _levels(rootly, await rootly.list_oncalls(group_ids=teams))


async def _rootly_services(rootly: RootlyClient, entity: EntityDetails) -> list[RootlyService]:
    # The sync writes the Cortex tag into `cortex_id`; other importers write the entity id.
    found = await rootly.list_services(cortex_id=entity.tag)
    if not found and entity.id:
        found = await rootly.list_services(cortex_id=entity.id)
    return found


async def _owner_teams(rootly: RootlyClient, entity: EntityDetails) -> list[str]:
    """The Rootly teams that stand for the service's Cortex owner teams (by `cortex_id`)."""
    asked = entity.owners.teams[:OWNER_TEAMS_ASKED]
    found = await asyncio.gather(*(rootly.list_teams(cortex_id=team.tag) for team in asked))
    return [team.id for teams in found for team in teams]


def _levels(rootly: RootlyClient, oncalls: Sequence[RootlyOncall]) -> tuple[OncallLevel, ...]:
    """One level per escalation policy and level, each person once (with their shift's end and
    schedule), lowest level first, each policy and schedule linked to its page in Rootly."""
    people: dict[tuple[int, str, str], dict[str, OncallUser]] = {}
    for oncall in oncalls:
        user = oncall.user
        person = OncallUser(
            name=user.display_name if user else f"Rootly user {oncall.user_id}",
            email=user.email if user else None,
            until=oncall.ends_at,
            schedule=oncall.schedule_name,
            schedule_url=_page(rootly, "schedules", oncall.schedule_id),
        )
        policy = oncall.escalation_policy_name, oncall.escalation_policy_id
        people.setdefault((oncall.escalation_level, *policy), {}).setdefault(person.name, person)
    return tuple(
        OncallLevel(
            provider=name,
            level=number,
            users=tuple(users.values()),
            url=_page(rootly, "escalation-policies", policy_id),
        )
        for (number, name, policy_id), users in sorted(people.items())
    )


def _page(rootly: RootlyClient, kind: str, resource_id: str | None) -> str | None:
    return rootly.web_url(f"/account/{kind}/{quote(resource_id, safe='')}") if resource_id else None
