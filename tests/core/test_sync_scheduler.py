"""The scheduler and automatic syncs: due detection on an injected clock, once-only claims across
processes sharing the database (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduler import DueWork, Room, Scheduler
from bot.services import Services
from bot.sync import BY_SCHEDULE, SyncEngine
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly
from tests.support.services import (
    ADMIN,
    TEAM,
    process,
    seed_services,
    services_written,
    until,
)

START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sync_database(database_url: str) -> str:
    """The `services` fixture on SQLite and on PostgreSQL (tests/support/services.py)."""
    return database_url


def scheduler_of(engine: SyncEngine, clock: Clock) -> Scheduler:
    return Scheduler([engine.auto_sync_job()], clock=clock)


async def tick(scheduler: Scheduler) -> int:
    """One tick; waits for the work it started, and says how much that was."""
    started = await scheduler.tick()
    await asyncio.gather(*started)
    return len(started)


async def test_an_hourly_sync_runs_when_due_and_then_an_hour_later(
    services: Services, clock: Clock, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 3)
    engine = SyncEngine(services, clock=clock)
    scheduler = scheduler_of(engine, clock)
    await engine.schedules.set(TEAM, "hourly", ADMIN)

    clock.now = START + timedelta(minutes=59)
    assert await tick(scheduler) == 0
    clock.now = START + timedelta(hours=1)
    assert await tick(scheduler) == 1
    assert await tick(scheduler) == 0

    last = await engine.runs.latest(TEAM)
    assert last is not None
    assert (last.triggered_by, last.counts.created) == (BY_SCHEDULE, 3)
    schedule = await engine.schedules.get(TEAM)
    assert schedule is not None
    assert schedule.next_due_at == START + timedelta(hours=2)
    assert len(fake_rootly.services) == 3


async def test_a_schedule_overdue_after_downtime_runs_once_not_once_per_missed_slot(
    services: Services, clock: Clock, fake_cortex: FakeCortex
) -> None:
    seed_services(fake_cortex, 1)
    engine = SyncEngine(services, clock=clock)
    scheduler = scheduler_of(engine, clock)
    await engine.schedules.set(TEAM, "hourly", ADMIN)

    clock.now = START + timedelta(hours=5, minutes=30)
    assert await tick(scheduler) == 1
    assert await tick(scheduler) == 0
    schedule = await engine.schedules.get(TEAM)
    assert schedule is not None
    assert schedule.next_due_at == clock.now + timedelta(hours=1)


async def test_turning_automatic_syncs_off_removes_the_schedule(
    services: Services, clock: Clock
) -> None:
    engine = SyncEngine(services, clock=clock)
    await engine.schedules.set(TEAM, "daily", ADMIN)
    schedule = await engine.schedules.get(TEAM)
    assert schedule is not None
    assert (schedule.frequency, schedule.next_due_at) == ("daily", START + timedelta(days=1))

    await engine.schedules.set(TEAM, None, ADMIN)
    clock.now = START + timedelta(days=2)

    assert await engine.schedules.get(TEAM) is None
    assert await tick(scheduler_of(engine, clock)) == 0


async def test_two_schedulers_sharing_the_database_run_a_due_sync_once(
    database_url: str,
    services: Services,
    clock: Clock,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
) -> None:
    seed_services(fake_cortex, 5)
    await SyncEngine(services, clock=clock).schedules.set(TEAM, "hourly", ADMIN)
    clock.now = START + timedelta(hours=1)

    async with process(database_url, fake_cortex, fake_rootly) as other:
        schedulers = [
            scheduler_of(SyncEngine(each, clock=clock), clock) for each in (services, other)
        ]
        started = await asyncio.gather(*(tick(scheduler) for scheduler in schedulers))

    assert sorted(started) == [0, 1]
    assert services_written(fake_rootly) == 5


async def test_a_sync_that_cannot_run_spends_its_slot_quietly(
    services: Services, clock: Clock, fake_cortex: FakeCortex, caplog: pytest.LogCaptureFixture
) -> None:
    engine = SyncEngine(services, clock=clock)
    await engine.schedules.set(TEAM, "hourly", ADMIN)
    await services.workspaces.forget(TEAM)
    clock.now = START + timedelta(hours=1)

    assert await tick(scheduler_of(engine, clock)) == 1

    assert "automatic sync of T0SYNC did not run" in caplog.text
    assert fake_cortex.received == []


class Broken:
    kind = "broken"

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        raise RuntimeError("the database is on fire")


class Counting:
    kind = "counting"

    def __init__(self) -> None:
        self.runs = 0
        self.limits: list[int] = []

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        self.limits.append(room.total)
        return [DueWork(f"count {n}", self.run, team_id=f"T{n}") for n in range(3)]

    async def run(self) -> None:
        self.runs += 1


async def test_a_job_that_fails_to_claim_does_not_stop_the_others(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    counting = Counting()
    scheduler = Scheduler([Broken(), counting], clock=clock, max_running=5)

    await asyncio.gather(*await scheduler.tick())

    assert counting.runs == 3
    assert counting.limits == [5]
    assert "broken could not claim" in caplog.text


async def test_the_loop_ticks_until_stopped(clock: Clock) -> None:
    counting = Counting()
    scheduler = Scheduler([counting], clock=clock, tick_seconds=0.01)

    scheduler.start()
    await until(lambda: counting.runs >= 6, "two ticks")
    await scheduler.stop()
    runs = counting.runs
    await asyncio.sleep(0.05)

    assert counting.runs == runs
    assert len(scheduler.running) == 0
