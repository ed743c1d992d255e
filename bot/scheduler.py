"""The scheduler: each tick, every kind of job claims its due work, which runs in the background.

A job kind (automatic syncs, digests) implements `DueJob`: it finds what is due at `now`,
claims it so that no other process runs it too (a compare-and-set in the database), and returns it
as `DueWork`. The scheduler runs claimed work as tracked tasks, so a long sync never delays the
next tick, and a failure is logged with its context instead of being lost. Claimed work runs in
the background lane of the Cortex budget (`bot.lanes`).

    scheduler = Scheduler([AutoSyncJob(...)])
    scheduler.start()      # in the web app's startup, or `cortex-bot worker`
    await scheduler.stop() # cancels the loop and any work still running
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bot.lanes import background
from bot.tasks import BackgroundTasks

log = logging.getLogger(__name__)

WallClock = Callable[[], datetime]
TICK_SECONDS = 30.0
MAX_RUNNING = 8


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DueWork:
    label: str
    run: Callable[[], Awaitable[None]]


class DueJob(Protocol):
    kind: str

    async def claim_due(self, now: datetime, limit: int) -> Sequence[DueWork]:
        """Claim at most `limit` pieces of work due at `now` (claimed work is this process's)."""
        ...


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[DueJob],
        *,
        clock: WallClock = utc_now,
        tick_seconds: float = TICK_SECONDS,
        max_running: int = MAX_RUNNING,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._max_running = max_running
        self.running = BackgroundTasks()
        self._loop: asyncio.Task[None] | None = None

    async def tick(self) -> list[asyncio.Task[None]]:
        """Claim and start whatever is due now; a job that fails to claim does not stop others."""
        now = self._clock()
        started: list[asyncio.Task[None]] = []
        for job in self._jobs:
            room = self._max_running - len(self.running)
            if room <= 0:
                break
            try:
                due = await job.claim_due(now, room)
            except Exception:
                log.exception("scheduler: %s could not claim its due work", job.kind)
                continue
            started += [self.running.spawn(_call(work), work.label) for work in due]
        return started

    async def run_forever(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._tick_seconds)

    def start(self) -> None:
        if self._loop is None:
            self._loop = asyncio.create_task(self.run_forever(), name="scheduler")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        await self.running.aclose()


async def _call(work: DueWork) -> None:
    with background():  # scheduled work never makes a person's answer wait
        await work.run()
