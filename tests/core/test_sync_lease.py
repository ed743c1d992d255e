"""Leases, and one sync per workspace across processes, on SQLite and (TEST_DATABASE_URL) on
PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import SyncInProgressError
from bot.sync import SyncEngine, SyncReport
from bot.sync.lease import LeaseStore
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly
from tests.support.services import (
    ADMIN,
    TEAM,
    connect,
    process,
    rootly_by_cortex_id,
    seed_services,
    services_written,
)

TTL = timedelta(seconds=60)
NAME = "sync:T1"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(engine: AsyncEngine, clock: Clock) -> LeaseStore:
    return LeaseStore(engine, clock)


async def test_a_free_lease_is_taken_once(store: LeaseStore) -> None:
    assert await store.acquire(NAME, "a", TTL)
    assert not await store.acquire(NAME, "b", TTL)
    assert await store.acquire(NAME, "a", TTL)  # a holder may take it again
    assert await store.acquire("sync:T2", "b", TTL)  # another name is another lease
    assert await store.is_held(NAME)


async def test_an_expired_lease_is_taken_over(store: LeaseStore, clock: Clock) -> None:
    await store.acquire(NAME, "crashed", TTL)

    clock.now += TTL - timedelta(seconds=1)
    assert not await store.acquire(NAME, "b", TTL)
    clock.now += timedelta(seconds=1)
    assert await store.acquire(NAME, "b", TTL)
    assert not await store.renew(NAME, "crashed", TTL)


async def test_renewal_pushes_the_expiry_and_only_the_holder_renews(
    store: LeaseStore, clock: Clock
) -> None:
    await store.acquire(NAME, "a", TTL)
    clock.now += timedelta(seconds=50)
    assert await store.renew(NAME, "a", TTL)
    assert not await store.renew(NAME, "b", TTL)

    clock.now += timedelta(seconds=50)  # 100 s after taking it, 50 s after renewing it
    assert not await store.acquire(NAME, "b", TTL)
    assert await store.is_held(NAME)


async def test_release_frees_the_lease_and_only_the_holder_releases(store: LeaseStore) -> None:
    await store.acquire(NAME, "a", TTL)

    await store.release(NAME, "b")
    assert not await store.acquire(NAME, "b", TTL)
    await store.release(NAME, "a")
    assert not await store.is_held(NAME)
    assert await store.acquire(NAME, "b", TTL)


async def test_many_contenders_at_once_get_one_lease(store: LeaseStore, clock: Clock) -> None:
    assert sum(await asyncio.gather(*(store.acquire(NAME, f"h{n}", TTL) for n in range(8)))) == 1
    clock.now += TTL  # and again once it has expired
    assert sum(await asyncio.gather(*(store.acquire(NAME, f"i{n}", TTL) for n in range(8)))) == 1


async def test_a_held_lease_is_renewed_while_its_work_runs(engine: AsyncEngine) -> None:
    store = LeaseStore(engine)
    lease = await store.take(NAME, timedelta(seconds=0.3))
    assert lease is not None

    async def work() -> str:
        await asyncio.sleep(0.8)  # well past the first expiry
        assert not await store.acquire(NAME, "other", timedelta(seconds=1))
        return "done"

    assert await lease.run_while_held(work()) == "done"
    await lease.release()
    assert await store.acquire(NAME, "other", TTL)


async def test_two_processes_triggering_at_once_run_one_sync(
    database_url: str, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 20)
    fake_rootly.latency = 0.005
    async with (
        process(database_url, fake_cortex, fake_rootly) as first,
        process(database_url, fake_cortex, fake_rootly) as second,
    ):
        await connect(first, fake_cortex)
        results = await asyncio.gather(
            SyncEngine(first).run(TEAM, triggered_by=ADMIN),
            SyncEngine(second).run(TEAM, triggered_by=ADMIN),
            return_exceptions=True,
        )

    assert sum(isinstance(result, SyncReport) for result in results) == 1
    assert sum(isinstance(result, SyncInProgressError) for result in results) == 1
    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    assert services_written(fake_rootly) == 20
