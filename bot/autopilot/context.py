"""What the Cortex context message says about an incident, read from Cortex. No Slack here.

For each of the incident's services that maps to Cortex: a `ServiceSnapshot` (owners, on-call,
scorecard levels, deploys, events, dependencies), all services at once, through the cache as the
card reads them. Then, once the dependencies are known, the deploys and custom events of the
services they depend on: about two Cortex round trips in all. What changed in the window before
the incident began is merged newest first; what could not be read is named, never hidden.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.catalog import Catalog
from bot.cortex.models import CustomEvent, Deploy, DeployType
from bot.digests.content import Window
from bot.errors import CallError
from bot.rootly.models import RootlyIncident, RootlyService
from bot.snapshot import ServiceSnapshot, take_snapshot

# The incident's services shown (Slack's 50 blocks a message); more are counted, not read.
MAX_SERVICES = 10
# The services depended on whose changes are read, over all the incident's services.
MAX_DEPENDENCIES = 20


@dataclass(frozen=True)
class Change:
    """A deploy or custom event of a service, in the window before the incident."""

    id: str
    tag: str  # the service it happened to
    kind: str  # the deploy type (DEPLOY, ROLLBACK...) or the custom event's type
    is_deploy: bool
    title: str
    when: datetime
    who: str | None
    url: str | None
    environment: str | None
    dependency_of: str | None  # the incident's service that depends on `tag`, if it is not one

    @property
    def is_rollback(self) -> bool:
        return self.is_deploy and self.kind == DeployType.ROLLBACK


@dataclass(frozen=True)
class ServiceContext:
    """One of the incident's services: its Rootly name, its `cortex_id`, and what Cortex said."""

    rootly_name: str
    cortex_id: str
    known: ServiceSnapshot | CallError

    @property
    def tag(self) -> str:
        """The Cortex tag, also when Rootly holds the entity's id instead."""
        return self.known.entity.tag if isinstance(self.known, ServiceSnapshot) else self.cortex_id


@dataclass(frozen=True)
class IncidentContext:
    incident: RootlyIncident
    cortex_url: str  # the workspace's Cortex API, whose app the message links to
    window: Window  # the changes shown happened in it
    services: tuple[ServiceContext, ...]
    more_services: int  # mapped services beyond MAX_SERVICES, not read
    changes: tuple[Change, ...]  # newest first
    missing: tuple[str, ...]  # what could not be read, one short phrase each

    @property
    def cortex_ids(self) -> tuple[str, ...]:
        return tuple(service.cortex_id for service in self.services)

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class MappedService:
    """A Rootly service that names a Cortex service in its `cortex_id` (a tag or entity id)."""

    rootly_name: str
    cortex_id: str


def mapped_services(services: Sequence[RootlyService]) -> list[MappedService]:
    """The services that name a Cortex service, each Cortex service once, in Rootly's order."""
    mapped: dict[str, MappedService] = {}
    for service in services:
        if service.cortex_id:
            mapped.setdefault(service.cortex_id, MappedService(service.name, service.cortex_id))
    return list(mapped.values())


async def gather_context(
    catalog: Catalog,
    incident: RootlyIncident,
    services: Sequence[MappedService],
    lookback: timedelta,
    now: datetime,
    missing: Sequence[str] = (),
) -> IncidentContext:
    """Everything the message shows about the incident's mapped `services`."""
    window = Window(incident.begun_at - lookback, incident.begun_at)
    shown = services[:MAX_SERVICES]
    reading = _Reading(catalog, window, now, {service.cortex_id for service in shown})
    contexts = await asyncio.gather(*(reading.service(service) for service in shown))
    await reading.dependencies_done()
    return IncidentContext(
        incident=incident,
        cortex_url=catalog.client.base_url,
        window=window,
        services=tuple(contexts),
        more_services=len(services) - len(shown),
        changes=reading.newest_first(),
        missing=(*missing, *reading.missing),
    )


class _Reading:
    """The reads of one incident's context, and what they found or missed."""

    def __init__(self, catalog: Catalog, window: Window, now: datetime, own: set[str]) -> None:
        self._catalog = catalog
        self._window = window
        self._events_since = now - window.start
        self._own = own
        self._dependencies: dict[str, asyncio.Task[None]] = {}
        self.skipped_dependencies = 0
        self.changes: list[Change] = []
        self.missing: list[str] = []

    async def service(self, service: MappedService) -> ServiceContext:
        cortex_id = service.cortex_id
        try:
            snapshot = await take_snapshot(
                self._catalog, cortex_id, events_since=self._events_since
            )
        except CallError as error:
            self.missing.append(f"the service {cortex_id}")
            return ServiceContext(service.rootly_name, cortex_id, error)
        tag = snapshot.entity.tag
        self.missing += [f"{part} of {tag}" for part in snapshot.problems]
        self._keep(tag, None, snapshot.deploys, snapshot.events)
        self._own.add(tag)
        await self._read_dependencies_of(tag, cortex_id, snapshot)
        return ServiceContext(service.rootly_name, cortex_id, snapshot)

    async def _read_dependencies_of(
        self, tag: str, cortex_id: str, snapshot: ServiceSnapshot
    ) -> None:
        dependencies = snapshot.dependencies
        if tag != cortex_id:
            # Rootly named the entity by its id: Cortex lists dependencies by tag only.
            try:
                dependencies = (await self._catalog.dependencies(tag)).value
            except CallError:
                self.missing.append(f"dependencies of {tag}")
                return
        for dependency in dependencies:
            callee = dependency.callee_tag
            if callee in self._own or callee in self._dependencies:
                continue
            if len(self._dependencies) >= MAX_DEPENDENCIES:
                self.skipped_dependencies += 1
                continue
            self._dependencies[callee] = asyncio.ensure_future(self._dependency(callee, tag))

    async def _dependency(self, tag: str, dependent: str) -> None:
        try:
            deploys, events = await asyncio.gather(
                self._catalog.deploys(tag),
                self._catalog.events_since(tag, self._window.start),
            )
        except CallError:
            self.missing.append(f"changes of {tag} (a dependency of {dependent})")
            return
        self._keep(tag, dependent, deploys.value, events.value)

    async def dependencies_done(self) -> None:
        await asyncio.gather(*self._dependencies.values())
        if self.skipped_dependencies:
            self.missing.append(f"changes of {self.skipped_dependencies} more dependencies")

    def newest_first(self) -> tuple[Change, ...]:
        # A service both of the incident and a dependency of another counts as the incident's.
        unique: dict[str, Change] = {}
        for change in sorted(self.changes, key=lambda change: change.dependency_of is not None):
            unique.setdefault(change.id, change)
        return tuple(sorted(unique.values(), key=lambda change: change.when, reverse=True))

    def _keep(
        self,
        tag: str,
        dependent: str | None,
        deploys: Sequence[Deploy],
        events: Sequence[CustomEvent],
    ) -> None:
        self.changes += [
            change
            for change in changes_of(tag, deploys, events, dependent)
            if change.when in self._window
        ]


def changes_of(
    tag: str,
    deploys: Sequence[Deploy],
    events: Sequence[CustomEvent],
    dependent: str | None = None,
) -> list[Change]:
    """The deploys and custom events of the service `tag` as changes, in the order given."""
    return [
        *(_deploy_change(deploy, tag, dependent) for deploy in deploys),
        *(_event_change(event, tag, dependent) for event in events),
    ]


def _deploy_change(deploy: Deploy, tag: str, dependent: str | None) -> Change:
    deployer = deploy.deployer
    return Change(
        id=deploy.uuid,
        tag=tag,
        kind=deploy.type,
        is_deploy=True,
        title=deploy.title,
        when=deploy.timestamp,
        who=(deployer.name or deployer.email) if deployer else None,
        url=deploy.url,
        environment=deploy.environment,
        dependency_of=dependent,
    )


def _event_change(event: CustomEvent, tag: str, dependent: str | None) -> Change:
    return Change(
        id=event.uuid,
        tag=tag,
        kind=event.type,
        is_deploy=False,
        title=event.title,
        when=event.timestamp,
        who=None,
        url=event.url,
        environment=None,
        dependency_of=dependent,
    )
