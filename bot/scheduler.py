"""The scheduler: each tick, every kind of job claims its due work, which runs in the background.

A job kind (automatic syncs, digests) implements `DueJob`: it finds what is due at `now`, keeps
what fits in the scheduler's `Room`, claims it so that no other process runs it too (a
compare-and-set in the database), and returns it as `DueWork`. The scheduler runs claimed work as
tracked tasks, so a long sync never delays the next tick, and a failure is logged with its context
instead of being lost. Claimed work runs in the background lane of the Cortex budget (`bot.lanes`).

Workspaces share the scheduler fairly: a process runs at most `MAX_RUNNING` jobs, at most
`PER_WORKSPACE` of one workspace and one digest per channel at a time, and due work is taken
round-robin (each workspace's longest overdue first, then their next ones). So a workspace with
many slow digests keeps a few slots busy, never all of them. When a job ends the scheduler looks
for due work again at once, so a workspace's queued work runs back to back rather than a tick apart.

    scheduler = Scheduler([AutoSyncJob(...)])
    scheduler.start()      # in the web app's startup, or `cortex-bot worker`
    await scheduler.stop() # cancels the loop and any work still running
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from bot.lanes import background
from bot.tasks import BackgroundTasks

log = logging.getLogger(__name__)

WallClock = Callable[[], datetime]
TICK_SECONDS = 30.0
MAX_RUNNING = 32
PER_WORKSPACE = 4
T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DueWork:
    label: str
    run: Callable[[], Awaitable[None]]
    team_id: str
    channel_id: str | None = None  # a digest's channel: one runs per channel at a time


@dataclass(frozen=True)
class Room:
    """What the scheduler may still start: `total` jobs, within the caps per workspace and channel
    given what is running."""

    total: int
    per_workspace: int
    running_teams: Counter[str]
    running_channels: frozenset[tuple[str, str]]

    @property
    def full_teams(self) -> frozenset[str]:
        """Workspaces with no room left (due queries leave them out)."""
        return frozenset(t for t, n in self.running_teams.items() if n >= self.per_workspace)

    def take(
        self,
        candidates: Iterable[T],
        team_of: Callable[[T], str],
        channel_of: Callable[[T], str | None] = lambda _: None,
    ) -> list[T]:
        """The candidates that fit, in the order given (put the fairest first)."""
        teams = Counter(self.running_teams)
        channels = set(self.running_channels)
        taken: list[T] = []
        for candidate in candidates:
            team, channel = team_of(candidate), channel_of(candidate)
            if len(taken) == self.total:
                break
            if teams[team] >= self.per_workspace or (team, channel) in channels:
                continue
            taken.append(candidate)
            teams[team] += 1
            if channel is not None:
                channels.add((team, channel))
        return taken


class DueJob(Protocol):
    kind: str

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        """Claim the work due at `now` that fits in `room` (claimed work is this process's)."""
        ...


class Scheduler:
    def __init__(
        self,
        jobs: Sequence[DueJob],
        *,
        clock: WallClock = utc_now,
        tick_seconds: float = TICK_SECONDS,
        max_running: int = MAX_RUNNING,
        per_workspace: int = PER_WORKSPACE,
    ) -> None:
        self._jobs = jobs
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._max_running = max_running
        self._per_workspace = per_workspace
        self.running = BackgroundTasks()
        self._work: dict[asyncio.Task[None], DueWork] = {}
        self._work_ended = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None

    def room(self) -> Room:
        running = self._work.values()
        return Room(
            total=self._max_running - len(self._work),
            per_workspace=self._per_workspace,
            running_teams=Counter(work.team_id for work in running),
            running_channels=frozenset(
                (work.team_id, work.channel_id) for work in running if work.channel_id
            ),
        )

    async def tick(self) -> list[asyncio.Task[None]]:
        """Claim and start whatever is due now; a job that fails to claim does not stop others."""
        now = self._clock()
        started: list[asyncio.Task[None]] = []
        for job in self._jobs:
            room = self.room()
            if room.total <= 0:
                break
            try:
                due = await job.claim_due(now, room)
            except Exception:
                log.exception("scheduler: %s could not claim its due work", job.kind)
                continue
            started += [self._start(work) for work in due]
        return started

    def _start(self, work: DueWork) -> asyncio.Task[None]:
        task = self.running.spawn(_call(work), work.label)
        self._work[task] = work
        task.add_done_callback(self._ended)
        return task

    def _ended(self, task: asyncio.Task[None]) -> None:
        del self._work[task]
        self._work_ended.set()

    async def run_forever(self) -> None:
        while True:
            self._work_ended.clear()
            await self.tick()
            # Look again when work ends (there may be more of a workspace's work due) or in a tick.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._tick_seconds):
                    await self._work_ended.wait()

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
