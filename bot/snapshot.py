"""Everything the bot shows about one service, gathered from Cortex in one concurrent round trip.

The service card and the incident modal both read a `ServiceSnapshot`. Only the entity itself is
essential: if Cortex cannot say what the service is, the snapshot fails; any other part that fails
(on-call, deploys, scores, dependencies, events) is left empty and its problem noted, so one slow
integration does not hide the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from bot.cache import Cached
from bot.catalog import Catalog
from bot.cortex.models import (
    CustomEvent,
    Dependency,
    Deploy,
    EntityDetails,
    OncallLevel,
    ScorecardScore,
)
from bot.errors import ApiError

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceSnapshot:
    entity: EntityDetails
    oncall: list[OncallLevel] | None  # None: no on-call integration is registered
    deploys: list[Deploy]
    scores: list[ScorecardScore]
    dependencies: list[Dependency]
    events: list[CustomEvent]
    problems: dict[str, ApiError] = field(default_factory=dict)
    # When Cortex failed and cached data was shown instead: the oldest such data's fetch time.
    stale_since: float | None = None


class _Parts:
    """Runs the reads concurrently and collects what failed or came from stale cache."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.problems: dict[str, ApiError] = {}
        self.stale: list[float] = []

    def start(self, read: Coroutine[Any, Any, Cached[T]]) -> asyncio.Task[Cached[T]]:
        task = asyncio.ensure_future(read)
        self.tasks.append(task)
        return task

    async def settle(self) -> None:
        await asyncio.wait(self.tasks)

    def value(self, task: asyncio.Task[Cached[T]]) -> T:
        outcome = task.result()
        if outcome.stale:
            self.stale.append(outcome.fetched_at)
        return outcome.value

    def value_or(self, name: str, task: asyncio.Task[Cached[T]], empty: T) -> T:
        error = task.exception()
        if isinstance(error, ApiError):
            self.problems[name] = error
            return empty
        return self.value(task)


async def _no_events() -> Cached[list[CustomEvent]]:
    return Cached([], fetched_at=0.0)


async def take_snapshot(
    catalog: Catalog, tag: str, *, events_since: timedelta | None = None
) -> ServiceSnapshot:
    """All parts at once; raises only when the entity itself cannot be read."""
    parts = _Parts()
    entity = parts.start(catalog.entity(tag))
    oncall = parts.start(catalog.oncall(tag))
    deploys = parts.start(catalog.deploys(tag))
    scores = parts.start(catalog.scores(tag))
    dependencies = parts.start(catalog.dependencies(tag))
    events = parts.start(catalog.recent_events(tag, events_since) if events_since else _no_events())
    await parts.settle()
    snapshot = ServiceSnapshot(
        entity=parts.value(entity),
        oncall=parts.value_or("on-call", oncall, None),
        deploys=parts.value_or("deploys", deploys, []),
        scores=parts.value_or("scorecards", scores, []),
        dependencies=parts.value_or("dependencies", dependencies, []),
        events=parts.value_or("events", events, []),
        problems=parts.problems,
    )
    if parts.stale:
        return ServiceSnapshot(**{**snapshot.__dict__, "stale_since": min(parts.stale)})
    return snapshot
