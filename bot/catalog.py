"""One workspace's cached view of its Cortex: what listeners, sync and digests read through.

Every read goes through the shared `ResponseCache` under a key that starts with the workspace,
the Cortex URL and a fingerprint of the key, with the shape of its answer (so that other processes
can share it as JSON); writes go straight to Cortex and invalidate the reads they made stale. Who
is on call is the one answer that may come from Rootly instead, when Cortex has no on-call
integration for a service and the workspace connected Rootly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from bot.cache import Cached, CacheKey, ResponseCache, T
from bot.cortex.client import CortexClient
from bot.cortex.models import (
    CustomEvent,
    Dependency,
    Deploy,
    Entity,
    EntityDetails,
    NewCustomEvent,
    NewDeploy,
    NextSteps,
    OncallLevel,
    Scorecard,
    ScorecardScore,
    ServiceScore,
    Team,
)
from bot.errors import NotFoundError, UnknownScorecardError, UnknownServiceError
from bot.finder import Found, find_named, rank_for_typeahead, search
from bot.oncall import OnCall, OnCallSource, rootly_oncall
from bot.people import email_key
from bot.rootly.client import RootlyClient
from bot.scorecards import ScorecardSummary, summarize


class Ttl:
    """How long each kind of answer stays fresh, in seconds: slow-moving data lives longer."""

    SERVICES = 300.0
    ENTITY = 120.0
    DEPLOYS = 30.0
    EVENTS = 30.0
    # Cortex re-evaluates a scorecard every 4 hours unless its `evaluation.window` says otherwise,
    # so scores rarely change between two reads; 5 minutes lets a rule someone just fixed and
    # re-evaluated by hand show up soon after. Definitions (rules, levels) are edited by hand and
    # seldom, so they live longer.
    SCORES = 300.0
    SCORECARDS = 900.0
    ONCALL = 60.0
    DEPENDENCIES = 300.0


SERVICE = "service"


def may_be_tag(text: str) -> bool:
    """Whether `text` could be a tag: one word, and not `.` or `..` (which a URL path would
    read as "here" or "up", so asking for it would reach another Cortex path)."""
    return bool(text) and text not in (".", "..") and not any(char.isspace() for char in text)


class Shape:
    """The type of each kind of answer, to share it between processes as JSON."""

    ENTITIES = TypeAdapter(list[Entity])
    ENTITY = TypeAdapter(EntityDetails)
    DEPLOYS = TypeAdapter(list[Deploy])
    EVENTS = TypeAdapter(list[CustomEvent])
    SCORES = TypeAdapter(list[ScorecardScore])
    ONCALL = TypeAdapter(list[OncallLevel] | None)
    ROOTLY_ONCALL = TypeAdapter(tuple[OncallLevel, ...])
    DEPENDENCIES = TypeAdapter(list[Dependency])
    TEAMS = TypeAdapter(list[Team])
    SCORECARDS = TypeAdapter(list[Scorecard])
    SCORECARD_SUMMARY = TypeAdapter(ScorecardSummary)
    SERVICE_SCORE = TypeAdapter(ServiceScore | None)
    NEXT_STEPS = TypeAdapter(NextSteps)


class Catalog:
    def __init__(
        self,
        client: CortexClient,
        cache: ResponseCache,
        team_id: str,
        rootly: RootlyClient | None = None,
    ) -> None:
        self.client = client
        self.team_id = team_id
        self.rootly = rootly
        self._cache = cache
        self._scope: CacheKey = (team_id, *client.identity)

    async def _read(
        self,
        ttl: float,
        shape: TypeAdapter[T],
        fetch: Callable[[], Awaitable[T]],
        resource: str,
        *parts: str,
    ) -> Cached[T]:
        key = (*self._scope, resource, *parts)
        return await self._cache.get_or_fetch(key, ttl, fetch, shape)

    async def services(self) -> Cached[list[Entity]]:
        """Every non-archived service: what finders and pickers search."""
        return await self._read(
            Ttl.SERVICES,
            Shape.ENTITIES,
            lambda: self.client.list_entities(types=(SERVICE,)),
            "services",
        )

    async def known_services(self) -> list[Entity]:
        """The services as last listed if that listing is cached; none otherwise (no request)."""
        return await self._cache.peek((*self._scope, "services"), Shape.ENTITIES) or []

    async def teams(self) -> Cached[list[Team]]:
        return await self._read(Ttl.SERVICES, Shape.TEAMS, self.client.list_teams, "teams")

    async def owned_by(self, email: str) -> list[Entity]:
        """The services this person owns: among the owners by email, or through a team they are a
        member of, by name."""
        services, teams = await asyncio.gather(self.services(), self.teams())
        wanted = email_key(email)
        theirs = {
            team.team_tag
            for team in teams.value
            if any(email_key(member.email) == wanted for member in team.members)
        }

        def owns(entity: Entity) -> bool:
            people = (email_key(person.email) for person in entity.owners.individuals)
            return wanted in people or any(team.tag in theirs for team in entity.owners.teams)

        owned = (entity for entity in services.value if owns(entity))
        return sorted(owned, key=lambda entity: (entity.name.lower(), entity.tag))

    async def entity(self, tag: str) -> Cached[EntityDetails]:
        return await self._read(
            Ttl.ENTITY, Shape.ENTITY, lambda: self.client.get_entity(tag), "entity", tag
        )

    async def deploys(self, tag: str) -> Cached[list[Deploy]]:
        return await self._read(
            Ttl.DEPLOYS, Shape.DEPLOYS, lambda: self.client.list_deploys(tag), "deploys", tag
        )

    def recent_environments(self, limit: int = 20) -> list[str]:
        """The environments of the deploys this process read for the workspace lately, the most
        recently deployed to first, each once whatever its case (no request)."""
        held: list[list[Deploy]] = self._cache.held((*self._scope, "deploys"))
        newest = sorted(_newest_by_environment(held).values(), reverse=True)
        return [name for _when, name in newest[:limit]]

    async def services_with_archived(self) -> Cached[list[Entity]]:
        """Every service, archived ones too: what digests diff to see services come and go."""
        return await self._read(
            Ttl.SERVICES,
            Shape.ENTITIES,
            lambda: self.client.list_entities(types=(SERVICE,), include_archived=True),
            "services+archived",
        )

    async def events_since(self, tag: str, start: datetime) -> Cached[list[CustomEvent]]:
        """Custom events from `start`, rounded down to the minute so that close reads share."""
        start = start.replace(second=0, microsecond=0)
        return await self._read(
            Ttl.EVENTS,
            Shape.EVENTS,
            lambda: self.client.list_custom_events(tag, start=start),
            "events",
            tag,
            start.isoformat(),
        )

    async def recent_events(self, tag: str, since: timedelta) -> Cached[list[CustomEvent]]:
        return await self.events_since(tag, datetime.now(UTC) - since)

    async def scores(self, tag: str) -> Cached[list[ScorecardScore]]:
        return await self._read(
            Ttl.SCORES, Shape.SCORES, lambda: self.client.get_scorecard_scores(tag), "scores", tag
        )

    async def scorecards(self) -> Cached[list[Scorecard]]:
        """Every scorecard's definition: what `/cortex scorecard` resolves names against."""
        return await self._read(
            Ttl.SCORECARDS, Shape.SCORECARDS, self.client.list_scorecards, "scorecards"
        )

    async def scorecard_summary(self, scorecard: Scorecard) -> Cached[ScorecardSummary]:
        """One scorecard across its services. Only the summary is kept: a scorecard can cover
        thousands of services, and nobody reads past its worst ones."""

        async def fetch() -> ScorecardSummary:
            return summarize(scorecard, await self.client.list_service_scores(scorecard.tag))

        return await self._read(
            Ttl.SCORES, Shape.SCORECARD_SUMMARY, fetch, "scorecard-summary", scorecard.tag
        )

    async def service_score(self, scorecard_tag: str, tag: str) -> Cached[ServiceScore | None]:
        """One service's rule outcomes on one scorecard; None when the scorecard skips it."""

        async def fetch() -> ServiceScore | None:
            found = await self.client.list_service_scores(scorecard_tag, entity_tag=tag)
            return next((score for score in found.service_scores if score.service.tag == tag), None)

        return await self._read(
            Ttl.SCORES, Shape.SERVICE_SCORE, fetch, "service-score", scorecard_tag, tag
        )

    async def next_steps(self, scorecard_tag: str, tag: str) -> Cached[NextSteps]:
        return await self._read(
            Ttl.SCORES,
            Shape.NEXT_STEPS,
            lambda: self.client.get_next_steps(scorecard_tag, tag),
            "next-steps",
            scorecard_tag,
            tag,
        )

    async def oncall(self, tag: str) -> Cached[OnCall]:
        """Who is on call now: Cortex's on-call integration, else Rootly's when it is connected."""
        cortex = await self._read(
            Ttl.ONCALL, Shape.ONCALL, lambda: self.client.get_current_oncall(tag), "oncall", tag
        )
        if cortex.value is not None:
            return _made_of(OnCall(OnCallSource.CORTEX, tuple(cortex.value)), cortex)
        rootly = self.rootly
        if rootly is None:
            return _made_of(OnCall(None), cortex)
        entity = (await self.entity(tag)).value
        found = await self._read(
            Ttl.ONCALL,
            Shape.ROOTLY_ONCALL,
            lambda: rootly_oncall(rootly, entity),
            "rootly-oncall",
            *rootly.identity,
            tag,
        )
        answer = OnCall(
            OnCallSource.ROOTLY if found.value else None,
            found.value,
            asked=(OnCallSource.CORTEX, OnCallSource.ROOTLY),
        )
        return _made_of(answer, cortex, found)

    async def dependencies(self, tag: str) -> Cached[list[Dependency]]:
        return await self._read(
            Ttl.DEPENDENCIES,
            Shape.DEPENDENCIES,
            lambda: self.client.list_dependencies(tag),
            "dependencies",
            tag,
        )

    async def add_deploy(self, tag: str, deploy: NewDeploy) -> Deploy:
        recorded = await self.client.add_deploy(tag, deploy)
        await self._cache.invalidate((*self._scope, "deploys", tag))
        return recorded

    async def add_custom_event(self, tag: str, event: NewCustomEvent) -> CustomEvent:
        recorded = await self.client.add_custom_event(tag, event)
        await self._cache.invalidate((*self._scope, "events", tag))
        return recorded

    async def resolve_scorecard(self, text: str) -> Scorecard:
        """The scorecard `text` names: by tag, then by exact name. When none matches,
        `UnknownScorecardError` carries the closest scorecards (fuzzy) to offer instead."""
        found = find_named(text, (await self.scorecards()).value)
        if found.match is None:
            raise UnknownScorecardError(text.strip(), found.suggestions)
        return found.match

    async def resolve(self, text: str, use: Callable[[str], Awaitable[T]]) -> T:
        """`use` applied to the service `text` names, by exact tag or name in the cached catalog,
        so that only a service that exists costs the requests `use` makes. When none matches,
        `UnknownServiceError` carries the closest services (fuzzy) to offer instead: a typo costs
        at most one request (the catalog's listing, or the check for a new service below)."""
        query = text.strip()
        listing = await self.services()
        found = find_named(query, listing.value)
        if found.match is not None:
            return await use(found.match.tag)
        if listing.from_cache and may_be_tag(query) and await self._created_since(query):
            return await use(query)
        raise UnknownServiceError(query, found.suggestions)

    async def _created_since(self, tag: str) -> bool:
        """Whether `tag` is a service created after the cached listing was read (which is then
        read again next time). A listing just read needs no such check."""
        try:
            entity = (await self.entity(tag)).value
        except NotFoundError:
            return False
        if entity.type != SERVICE or entity.is_archived:
            return False  # not what the listing holds, so not what a person may pick either
        await self._cache.invalidate((*self._scope, "services"))
        return True

    async def typeahead(self, text: str, limit: int = 100) -> list[Entity]:
        return rank_for_typeahead(text, (await self.services()).value, limit)

    async def search(self, text: str) -> Found[Entity]:
        return search(text, (await self.services()).value)


def _newest_by_environment(held: Iterable[list[Deploy]]) -> dict[str, tuple[datetime, str]]:
    """When each environment was last deployed to, and its name as then written, by its name
    lower-cased. One pass, sorting nothing: each list is newest first, so a service's first deploy
    to an environment is its newest there (an options load reads this on every keystroke)."""
    newest: dict[str, tuple[datetime, str]] = {}
    for deploys in held:
        # Read oldest first, each environment's last write is its newest deploy.
        latest = {deploy.environment: deploy.timestamp for deploy in reversed(deploys)}
        for written, when in latest.items():
            name = (written or "").strip()
            known = newest.get(name.lower())
            if name and (known is None or when > known[0]):
                newest[name.lower()] = (when, name)
    return newest


def _made_of(value: T, *reads: Cached[Any]) -> Cached[T]:
    """An answer made from several reads: as old as the oldest, stale if any of them is (and
    for that one's reason)."""
    oldest = min(read.fetched_at for read in reads)
    stale = [read for read in reads if read.stale]
    return Cached(value, oldest, bool(stale), stale[0].because if stale else None)
