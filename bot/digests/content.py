"""What a digest says, read from Cortex: activity of the services in scope over a window, the
services created or archived since the last digest, and the last sync's result. No Slack here.

The catalog listing (archived services included, to see what was archived) is one cached read that
every digest of the workspace shares; each service's deploys and events are read concurrently,
through the Catalog's cache (a card's recent read of deploys is reused) and the background lane of
the Cortex budget, a few at a time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.cache import Cached, T
from bot.catalog import Catalog
from bot.cortex.models import CustomEvent, Deploy, DeployType, Entity
from bot.digests.environments import is_production, wanted_environment
from bot.digests.store import Digest, Scope, Snapshot
from bot.errors import CallError
from bot.lanes import background
from bot.sync.report import SyncReport
from bot.sync.runs import SyncRuns

if TYPE_CHECKING:
    # Services holds the sync engine and digest store: a runtime import would be a cycle.
    from bot.services import Services

log = logging.getLogger(__name__)

# Reads in flight at once for one digest: the limiter spaces them, this keeps each one's wait short.
READ_CONCURRENCY = 16
# What a digest without a schedule (`/cortex digest now` in a channel with none) looks back over.
DEFAULT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __contains__(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


def window_for(digest: Digest | None, now: datetime) -> Window:
    """Since the digest's last post, or one period back for its first (a day without a digest)."""
    if digest is None:
        return Window(now - DEFAULT_LOOKBACK, now)
    return Window(digest.covered_until or now - digest.recurrence.period, now)


@dataclass(frozen=True)
class ServiceActivity:
    entity: Entity
    deploys: tuple[Deploy, ...] = ()  # newest first, rollbacks among them
    events: tuple[CustomEvent, ...] = ()  # newest first
    problem: str | None = None  # why Cortex did not tell this service's activity
    stale: bool = False  # told from cache, Cortex failing

    @property
    def rollbacks(self) -> int:
        return sum(deploy.type is DeployType.ROLLBACK for deploy in self.deploys)

    @property
    def forward_deploys(self) -> int:
        """Deploys that are not rollbacks: a rollback is counted once, as a rollback."""
        return len(self.deploys) - self.rollbacks

    @property
    def needing_eyes(self) -> tuple[Deploy, ...]:
        """What people should see first, newest first: rollbacks anywhere, changes to production."""
        return tuple(
            deploy
            for deploy in self.deploys
            if deploy.type is DeployType.ROLLBACK or is_production(deploy.environment)
        )

    @property
    def latest(self) -> datetime:
        return max(
            [deploy.timestamp for deploy in self.deploys] + [e.timestamp for e in self.events]
        )


@dataclass(frozen=True)
class DigestContent:
    scope: Scope
    window: Window
    in_scope: int  # services in scope now, archived ones left out
    activity: tuple[ServiceActivity, ...]  # services with deploys or events, most recent first
    unreadable: tuple[ServiceActivity, ...]  # services whose activity Cortex did not tell
    created: tuple[Entity, ...]
    archived: tuple[Entity, ...]
    last_sync: SyncReport | None  # the last sync, if it finished within the window
    stale: bool  # some of it is cached data, Cortex failing
    snapshot: Snapshot  # the services in scope now, for the next digest to compare with

    @property
    def deploys(self) -> int:
        """Deploys that are not rollbacks."""
        return sum(service.forward_deploys for service in self.activity)

    @property
    def rollbacks(self) -> int:
        return sum(service.rollbacks for service in self.activity)

    @property
    def events(self) -> int:
        return sum(len(service.events) for service in self.activity)

    @property
    def has_news(self) -> bool:
        return bool(
            self.activity or self.created or self.archived or self.last_sync or self.unreadable
        )


def in_scope(entity: Entity, scope: Scope) -> bool:
    """In the group (by name) and owned by the team (tag or name) or person (email), if given."""
    groups = {group.lower() for group in entity.groups}
    owners = {team.tag.lower() for team in entity.owners.teams}
    owners |= {team.name.lower() for team in entity.owners.teams}
    owners |= {person.email.lower() for person in entity.owners.individuals}
    return (scope.group is None or scope.group.lower() in groups) and (
        scope.owner is None or scope.owner.lower() in owners
    )


async def services_in_scope(catalog: Catalog, scope: Scope) -> Cached[list[Entity]]:
    """The services in scope, archived ones included."""
    listing = await catalog.services_with_archived()
    found = [entity for entity in listing.value if in_scope(entity, scope)]
    return Cached(found, listing.fetched_at, listing.stale)


def snapshot_of(entities: Sequence[Entity]) -> Snapshot:
    return {entity.tag: entity.is_archived for entity in entities}


def catalog_changes(
    entities: Sequence[Entity], previous: Snapshot | None
) -> tuple[tuple[Entity, ...], tuple[Entity, ...]]:
    """The services created, and those archived, since `previous` (none for a first digest)."""
    if previous is None:
        return (), ()
    created = tuple(e for e in entities if not e.is_archived and e.tag not in previous)
    archived = tuple(e for e in entities if e.is_archived and previous.get(e.tag) is False)
    return created, archived


async def digest_catalog(services: Services, team_id: str) -> Catalog:
    """The workspace's catalog, or `NotConnectedError`."""
    catalog = await services.workspace_catalog(team_id)
    return Catalog(catalog.client, services.cache, team_id)


async def digest_content(
    services: Services, team_id: str, digest: Digest | None, now: datetime
) -> DigestContent:
    """What the digest (or, without one, a digest of every service) says at `now`, read in the
    background lane: a digest of thousands of services never makes a card wait."""
    catalog = await digest_catalog(services, team_id)
    previous = None if digest is None else await services.digests.snapshot(digest.id)
    scope = Scope() if digest is None else digest.scope
    with background():
        return await build_content(
            catalog, SyncRuns(services.engine), scope, window_for(digest, now), previous
        )


async def build_content(
    catalog: Catalog,
    runs: SyncRuns,
    scope: Scope,
    window: Window,
    previous: Snapshot | None,
) -> DigestContent:
    listing, last_sync = await asyncio.gather(
        services_in_scope(catalog, scope), runs.latest(catalog.team_id)
    )
    entities = listing.value
    live = [entity for entity in entities if not entity.is_archived]
    gate = asyncio.Semaphore(READ_CONCURRENCY)
    told = await asyncio.gather(
        *(_activity(catalog, entity, window, scope.environment, gate) for entity in live)
    )
    active = [service for service in told if service.deploys or service.events]
    created, archived = catalog_changes(entities, previous)
    return DigestContent(
        scope=scope,
        window=window,
        in_scope=len(live),
        activity=tuple(sorted(active, key=lambda service: service.latest, reverse=True)),
        unreadable=tuple(service for service in told if service.problem),
        created=created,
        archived=archived,
        last_sync=last_sync if last_sync and last_sync.finished_at in window else None,
        stale=listing.stale or any(service.stale for service in told),
        snapshot=snapshot_of(entities),
    )


async def _activity(
    catalog: Catalog,
    entity: Entity,
    window: Window,
    environment: str | None,
    gate: asyncio.Semaphore,
) -> ServiceActivity:
    """What the service did in the window; with `environment`, only the deploys to it (custom
    events have no environment: all of them)."""
    tag = entity.tag
    try:
        deploys, events = await asyncio.gather(
            _gated(gate, lambda: catalog.deploys(tag)),
            _gated(gate, lambda: catalog.events_since(tag, window.start)),
        )
    except CallError as error:
        log.info("digest: the activity of %s could not be read: %s", tag, error)
        return ServiceActivity(entity, problem=error.detail)
    return ServiceActivity(
        entity,
        deploys=tuple(
            deploy
            for deploy in deploys.value
            if deploy.timestamp in window
            and (environment is None or wanted_environment(environment, deploy.environment))
        ),
        events=tuple(event for event in events.value if event.timestamp in window),
        stale=deploys.stale or events.stale,
    )


async def _gated(gate: asyncio.Semaphore, read: Callable[[], Awaitable[Cached[T]]]) -> Cached[T]:
    async with gate:
        return await read()
