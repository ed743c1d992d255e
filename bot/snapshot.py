"""Everything the bot shows about one service, gathered from Cortex in one concurrent round trip
(and a second one to Rootly for who is on call, when Cortex has no on-call integration for it).

The service card and the incident modal both read a `ServiceSnapshot`. Only the entity itself is
essential: if Cortex cannot say what the service is, the snapshot fails; any other part that fails
(on-call, deploys, scores, dependencies, events) is left empty and its problem noted, so one slow
integration does not hide the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, TypeVar

from bot.cache import Cached
from bot.catalog import Catalog
from bot.cortex.models import (
    CustomEvent,
    Dependency,
    Deploy,
    EntityDetails,
    ScorecardScore,
)
from bot.errors import CallError
from bot.oncall import OnCall

T = TypeVar("T")
Empty = TypeVar("Empty")


@dataclass(frozen=True)
class ServiceSnapshot:
    entity: EntityDetails
    oncall: OnCall | None  # None: it could not be read (see `problems`)
    deploys: list[Deploy]
    scores: list[ScorecardScore]
    dependencies: list[Dependency]
    events: list[CustomEvent]
    problems: dict[str, CallError] = field(default_factory=dict)
    # When Cortex failed (or the budget was busy) and cached data was shown instead: the oldest
    # such data's fetch time, and why.
    stale_since: float | None = None
    stale_because: CallError | None = None


class _Parts:
    """Runs the reads concurrently and collects what failed or came from stale cache."""

    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []
        self.problems: dict[str, CallError] = {}
        self.stale: list[float] = []
        self.stale_because: CallError | None = None

    def start(self, read: Coroutine[Any, Any, Cached[T]]) -> asyncio.Task[Cached[T]]:
        task = asyncio.ensure_future(read)
        self.tasks.append(task)
        return task

    async def settle(self) -> None:
        await asyncio.wait(self.tasks)
        for task in self.tasks:
            # Retrieved, so that when the entity fails the others' failures are not reported lost.
            task.exception()

    def value(self, task: asyncio.Task[Cached[T]]) -> T:
        outcome = task.result()
        if outcome.stale:
            self.stale.append(outcome.fetched_at)
            self.stale_because = outcome.because
        return outcome.value

    def value_or(self, name: str, task: asyncio.Task[Cached[T]], empty: Empty) -> T | Empty:
        error = task.exception()
        if isinstance(error, CallError):
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
        return replace(snapshot, stale_since=min(parts.stale), stale_because=parts.stale_because)
    return snapshot
