"""Step 2 of a sync, apply: the plan's writes, several at a time, each failure kept to itself.

The Rootly client's limiter already keeps every key under Rootly's documented rate, so the number
of workers only has to hide latency: at Rootly's ~42 writes a second, 16 workers keep the limiter
busy up to ~380 ms per request. Bounded workers (not one task per change) also keep each request's
wait for the limiter short, well inside the transport's deadline.

A 429 the transport could not wait out (Rootly's window can reset a minute later) pauses every
worker until the reset, then the same write is tried again: a 429 means Rootly did not apply it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.errors import ApiError, RateLimitedError
from bot.rootly import RootlyClient
from bot.rootly.models import RootlyService
from bot.sync.plan import Action, Change

APPLY_CONCURRENCY = 16
RATE_LIMIT_ATTEMPTS = 5
DEFAULT_RATE_LIMIT_PAUSE = 10.0
MAX_RATE_LIMIT_PAUSE = 120.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    error: str | None = None


OnApplied = Callable[[ChangeResult], None]


class _RateLimitPause:
    """Shared by the workers: after a 429, nobody writes until Rootly's window resets."""

    def __init__(self, sleep: Sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0

    def extend(self, seconds: float | None) -> None:
        pause = min(seconds or DEFAULT_RATE_LIMIT_PAUSE, MAX_RATE_LIMIT_PAUSE)
        self._resume_at = max(self._resume_at, self._clock() + pause)

    async def wait(self) -> None:
        while (delay := self._resume_at - self._clock()) > 0:
            await self._sleep(delay)


async def _write(rootly: RootlyClient, change: Change) -> RootlyService:
    if change.action is Action.CREATE:
        return await rootly.create_service(change.attributes)
    assert change.rootly_id is not None, "updates and adoptions name their Rootly service"
    return await rootly.update_service(change.rootly_id, change.attributes)


async def _apply_one(rootly: RootlyClient, change: Change, pause: _RateLimitPause) -> ChangeResult:
    refused: RateLimitedError | None = None
    for _attempt in range(RATE_LIMIT_ATTEMPTS):
        await pause.wait()
        try:
            await _write(rootly, change)
        except RateLimitedError as error:
            refused = error
            pause.extend(error.retry_after)
        except ApiError as error:
            return ChangeResult(change, str(error))
        else:
            return ChangeResult(change)
    return ChangeResult(change, str(refused))


async def apply_changes(
    rootly: RootlyClient,
    changes: Sequence[Change],
    on_applied: OnApplied,
    *,
    concurrency: int = APPLY_CONCURRENCY,
    sleep: Sleep = asyncio.sleep,
) -> list[ChangeResult]:
    """Write every change; `on_applied` hears of each outcome as it comes (keep it quick)."""
    pending = iter(changes)
    outcomes: list[ChangeResult] = []
    pause = _RateLimitPause(sleep)

    async def worker() -> None:
        for change in pending:
            outcome = await _apply_one(rootly, change, pause)
            outcomes.append(outcome)
            on_applied(outcome)

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(changes))):
            group.create_task(worker())
    return outcomes
