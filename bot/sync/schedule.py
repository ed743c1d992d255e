"""Automatic syncs: each workspace's schedule, and the scheduler job that runs the due ones.

A due sync is claimed by moving its `next_due_at` on with a compare-and-set UPDATE (the row must
still hold the due time this process read), so however many processes run the scheduler, one of
them claims each slot; the sync's own lease then keeps it from overlapping a manual sync.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import BotError
from bot.scheduler import DueWork, Room, WallClock, utc_now
from bot.storage import as_utc, sync_schedules
from bot.sync.report import BY_SCHEDULE, SyncReport

log = logging.getLogger(__name__)

SyncFrequency = Literal["hourly", "daily"]
SYNC_FREQUENCIES: tuple[SyncFrequency, ...] = get_args(SyncFrequency)
INTERVALS: dict[SyncFrequency, timedelta] = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
}


@dataclass(frozen=True)
class SyncSchedule:
    team_id: str
    frequency: SyncFrequency
    next_due_at: datetime
    set_by: str
    set_at: datetime


def _schedule(row: RowMapping) -> SyncSchedule:
    return SyncSchedule(
        team_id=row["team_id"],
        frequency=row["frequency"],
        next_due_at=as_utc(row["next_due_at"]),
        set_by=row["set_by"],
        set_at=as_utc(row["set_at"]),
    )


class SyncSchedules:
    def __init__(self, engine: AsyncEngine, clock: WallClock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def get(self, team_id: str) -> SyncSchedule | None:
        async with self._engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        select(sync_schedules).where(sync_schedules.c.team_id == team_id)
                    )
                )
                .mappings()
                .first()
            )
        return None if row is None else _schedule(row)

    async def set(self, team_id: str, frequency: SyncFrequency | None, set_by: str) -> None:
        """Schedule the workspace's syncs (the first one `frequency` from now); None stops them."""
        now = self._clock()
        team = sync_schedules.c.team_id == team_id
        async with self._engine.begin() as connection:
            await connection.execute(delete(sync_schedules).where(team))
            if frequency is not None:
                await connection.execute(
                    insert(sync_schedules).values(
                        team_id=team_id,
                        frequency=frequency,
                        next_due_at=now + INTERVALS[frequency],
                        set_by=set_by,
                        set_at=now,
                    )
                )

    async def forget(self, team_id: str) -> None:
        await self.set(team_id, None, set_by="uninstall")

    async def due(self, now: datetime, room: Room) -> list[SyncSchedule]:
        """The schedules due at `now` of workspaces with room left, the longest overdue first."""
        query = (
            select(sync_schedules)
            .where(
                sync_schedules.c.next_due_at <= now,
                sync_schedules.c.team_id.not_in(room.full_teams),
            )
            .order_by(sync_schedules.c.next_due_at)
            .limit(room.total)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_schedule(row) for row in rows]

    async def claim(self, schedule: SyncSchedule, now: datetime) -> bool:
        """Move the schedule to its next slot, unless another process already did."""
        async with self._engine.begin() as connection:
            claimed = await connection.execute(
                update(sync_schedules)
                .where(
                    sync_schedules.c.team_id == schedule.team_id,
                    sync_schedules.c.next_due_at == schedule.next_due_at,
                )
                .values(next_due_at=now + INTERVALS[schedule.frequency])
            )
        return bool(claimed.rowcount)


RunSync = Callable[[str, str], Awaitable[SyncReport]]


class AutoSyncJob:
    """The scheduler's job for automatic syncs: claims each due schedule and runs its sync."""

    kind = "auto-sync"

    def __init__(self, schedules: SyncSchedules, run_sync: RunSync) -> None:
        self._schedules = schedules
        self._run_sync = run_sync

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        due = room.take(await self._schedules.due(now, room), team_of=lambda s: s.team_id)
        claimed = [schedule for schedule in due if await self._schedules.claim(schedule, now)]
        return [
            DueWork(f"auto-sync {s.team_id}", self._runner(s.team_id), team_id=s.team_id)
            for s in claimed
        ]

    def _runner(self, team_id: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                report = await self._run_sync(team_id, BY_SCHEDULE)
            except BotError as error:
                # Expected now and then (keys removed, a manual sync running): the slot is spent.
                log.warning("automatic sync of %s did not run: %s", team_id, error)
                return
            log.info("automatic sync of %s: %s %s", team_id, report.status, report.counts)

        return run
