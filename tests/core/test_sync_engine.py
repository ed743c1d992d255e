"""The sync engine against the fake Cortex and fake Rootly over HTTP (every Rootly exchange is
checked against the official document by the fake): plan, apply, report, safety."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from bot.errors import (
    EmptyCatalogError,
    LeaseLostError,
    NotConnectedError,
    RootlyNotConnectedError,
    SyncInProgressError,
    UnavailableError,
)
from bot.services import Services
from bot.storage import leases
from bot.sync import Action, Status, SyncEngine, SyncProgress
from bot.sync.engine import lease_name
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.cortex import Fault as CortexFault
from tests.support.fakes.rootly import FakeRootly, Fault
from tests.support.services import (
    ADMIN,
    TEAM,
    connect,
    rootly_by_cortex_id,
    seed_services,
    until,
)

# The fixtures `sync_database`, `services` and `sync` (tests/support/services.py).


def writes(rootly: FakeRootly) -> int:
    return rootly.count("POST") + rootly.count("PUT")


def bulk_entities(rootly: FakeRootly) -> list[dict[str, object]]:
    return [entity for request in rootly.bulk_requests() for entity in request.body["entities"]]


async def run(sync: SyncEngine, dry_run: bool = False) -> object:
    return await sync.run(TEAM, triggered_by=ADMIN, dry_run=dry_run)


# --- plan and apply ------------------------------------------------------------------------------


async def test_creates_every_live_cortex_service(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 30)
    progress: list[SyncProgress] = []

    report = await sync.run(TEAM, triggered_by=ADMIN, on_progress=progress.append)

    synced = rootly_by_cortex_id(fake_rootly)
    assert sorted(synced) == tags
    assert all(len(found) == 1 for found in synced.values())
    assert synced["svc-0007"][0]["description"] == "The svc-0007 service"
    assert (report.status, report.counts.created, report.counts.failed) == (Status.SUCCEEDED, 30, 0)
    assert progress[0] == SyncProgress("listing")
    assert progress[-1] == SyncProgress("applying", done=30, total=30)
    listing = fake_cortex.requests_to("/api/v1/catalog")[0]
    assert listing.query["includeArchived"] == "true"
    assert listing.query.getall("types") == ["service"]


async def test_a_second_sync_with_no_change_writes_nothing(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 12)
    await run(sync)
    before = writes(fake_rootly)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert writes(fake_rootly) == before
    assert report.counts.unchanged == 12
    assert report.counts.written == 0


async def test_one_description_change_is_one_update_of_the_owned_fields_only(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 5)
    await run(sync)
    [service_id] = [i for i, s in fake_rootly.services.items() if s["cortex_id"] == "svc-0003"]
    fake_rootly.services[service_id]["color"] = "#00ff00"
    fake_cortex.entities["svc-0003"]["description"] = "Now with more money"
    fake_rootly.received.clear()

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert bulk_entities(fake_rootly) == [
        {
            "name": "Svc 0003",
            "description": "Now with more money",
            "cortex_id": "svc-0003",
            "external_id": "cortex:svc-0003",
        }
    ]
    assert fake_rootly.services[service_id]["description"] == "Now with more money"
    assert fake_rootly.services[service_id]["color"] == "#00ff00"
    assert (report.counts.updated, report.counts.unchanged) == (1, 4)
    assert report.changes[0].fields == ("description",)


async def test_an_unclaimed_rootly_service_with_the_same_name_is_adopted(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("payments-api", "Payments API", description="Moves money")
    existing = fake_rootly.add_service("Payments API", owner="finance")

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert list(fake_rootly.services) == [existing]
    assert fake_rootly.services[existing]["cortex_id"] == "payments-api"
    assert fake_rootly.services[existing]["owner"] == "finance"
    assert report.counts.adopted == 1
    assert report.changes[0].action is Action.ADOPT


async def test_ambiguous_names_are_reported_as_conflicts_and_not_written(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("search", "Search")
    fake_rootly.add_service("Search")
    fake_rootly.add_service("Search")

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert writes(fake_rootly) == 0
    assert report.counts.conflicts == 1
    assert report.conflicts[0].startswith("search: Search: 2 Rootly services")


async def test_archived_services_are_excluded_and_archived_after_sync_are_left_alone(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("never", archived=True)
    fake_cortex.add_service("later", "Later", description="v1")
    await run(sync)
    fake_cortex.entities["later"].update(isArchived=True, description="v2")
    before = dict(fake_rootly.services)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert list(rootly_by_cortex_id(fake_rootly)) == ["later"]
    assert fake_rootly.services == before
    assert report.counts.archived_upstream == 1
    assert report.archived_upstream == ("later",)


async def test_a_dry_run_reports_the_plan_and_writes_nothing(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 4)
    fake_rootly.add_service("Svc 0001")

    report = await sync.run(TEAM, triggered_by=ADMIN, dry_run=True)

    assert writes(fake_rootly) == 0
    assert report.dry_run
    assert (report.counts.created, report.counts.adopted) == (3, 1)
    assert [line.action for line in report.changes] == [Action.ADOPT, *[Action.CREATE] * 3]
    assert await sync.runs.latest(TEAM) is None
    assert await sync.runs.latest(TEAM, dry_run=True) == report


async def test_a_report_lists_every_change_and_the_stored_one_the_first_fifty(
    sync: SyncEngine, fake_cortex: FakeCortex
) -> None:
    tags = seed_services(fake_cortex, 120)

    report = await sync.run(TEAM, triggered_by=ADMIN, dry_run=True)
    stored = await sync.runs.latest(TEAM, dry_run=True)

    assert sorted(line.tag for line in report.changes) == tags
    assert stored is not None
    assert stored.changes == report.changes[:50]
    assert stored.counts.created == 120


async def test_one_failed_write_is_reported_and_the_rest_go_on(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 10)
    fake_rootly.add_service("Svc 0004", cortex_id="another-tools-id")  # the name is taken

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert len(rootly_by_cortex_id(fake_rootly)) == 1 + 9
    assert report.status is Status.PARTIAL
    assert (report.counts.created, report.counts.failed) == (9, 1)
    assert report.errors == ("svc-0004: Rootly: Name has already been taken (HTTP 422)",)
    assert report.changes[0].error is not None  # failures are listed first


# --- aborting before any write ------------------------------------------------------------------


async def test_an_empty_cortex_listing_aborts_before_any_write(
    sync: SyncEngine, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Payments API", cortex_id="payments-api")

    with pytest.raises(EmptyCatalogError):
        await sync.run(TEAM, triggered_by=ADMIN)

    assert writes(fake_rootly) == 0
    stored = await sync.runs.latest(TEAM)
    assert stored is not None
    assert stored.status is Status.FAILED
    assert "no services" in stored.errors[0]


async def test_a_failed_cortex_listing_aborts_before_any_write(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 3)
    fake_cortex.faults += [CortexFault(status=503, path_contains="/api/v1/catalog")] * 3

    with pytest.raises(UnavailableError):
        await sync.run(TEAM, triggered_by=ADMIN)

    assert writes(fake_rootly) == 0


async def test_a_workspace_without_rootly_is_told_to_connect_it(
    sync: SyncEngine, services: Services, fake_cortex: FakeCortex
) -> None:
    await services.workspaces.forget(TEAM)
    await connect(services, fake_cortex, rootly_key=None)

    with pytest.raises(RootlyNotConnectedError):
        await sync.run(TEAM, triggered_by=ADMIN)
    with pytest.raises(NotConnectedError):
        await sync.run("T0NOBODY", triggered_by=ADMIN)
    assert fake_cortex.received == []


# --- rate limits --------------------------------------------------------------------------------


async def test_rootly_429s_beyond_the_retry_policy_are_waited_out_and_everything_is_synced(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 20)
    # More 429s in a row than the policy's 3 attempts: a background sync never gives up on them.
    fake_rootly.faults += [
        Fault(status=429, retry_after=0, path_contains="/v1/services", method="POST")
    ] * 4

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    assert report.status is Status.SUCCEEDED
    assert len(fake_rootly.bulk_requests()) == 1 + 4


async def test_a_hanging_cortex_or_rootly_still_fails_the_sync_after_the_retry_policy(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 3)
    fake_rootly.faults += [Fault(status=503, path_contains="/v1/services", method="POST")] * 3

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert report.counts.failed == 3
    assert (
        len(fake_rootly.bulk_requests()) == 3
    )  # an upsert is retried, as often as the policy says


# --- interruptions and concurrency --------------------------------------------------------------


async def test_a_sync_killed_mid_apply_is_finished_by_the_next_with_no_duplicates(
    services: Services, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 480)
    fake_rootly.latency = 0.05
    sync = SyncEngine(services, concurrency=1)
    first = asyncio.create_task(sync.run(TEAM, triggered_by=ADMIN))
    await until(lambda: len(fake_rootly.services) >= 100, "the first batch")
    first.cancel()  # as if the process died: some writes were made, some were in flight
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(fake_rootly.services) < 480

    report = await sync.run(TEAM, triggered_by=ADMIN)

    synced = rootly_by_cortex_id(fake_rootly)
    assert sorted(synced) == tags
    assert all(len(found) == 1 for found in synced.values())
    assert report.counts.created + report.counts.unchanged == 480
    assert report.counts.unchanged >= 100


async def test_a_crashed_processs_lease_blocks_until_it_expires(
    sync: SyncEngine, services: Services, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 3)
    expires = datetime.now(UTC) + timedelta(minutes=1)
    async with services.engine.begin() as connection:
        await connection.execute(
            insert(leases).values(name=lease_name(TEAM), holder="dead", expires_at=expires)
        )

    with pytest.raises(SyncInProgressError):
        await sync.run(TEAM, triggered_by=ADMIN)
    async with services.engine.begin() as connection:
        await connection.execute(update(leases).values(expires_at=datetime.now(UTC)))
    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert report.counts.created == 3


async def test_two_triggers_at_once_run_one_sync(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 10)

    results = await asyncio.gather(run(sync), run(sync), return_exceptions=True)

    assert sorted(type(result).__name__ for result in results) == [
        "SyncInProgressError",
        "SyncReport",
    ]
    assert len(bulk_entities(fake_rootly)) == 10
    assert not await sync.leases.is_held(lease_name(TEAM))


async def test_a_sync_that_loses_its_lease_stops_and_says_so(
    services: Services, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_services(fake_cortex, 400)  # four batches, one at a time
    fake_rootly.latency = 0.2
    sync = SyncEngine(services, lease_ttl=timedelta(seconds=0.3), concurrency=1)
    running = asyncio.create_task(sync.run(TEAM, triggered_by=ADMIN))
    await until(lambda: bool(fake_rootly.services), "the first batch")
    async with services.engine.begin() as connection:
        await connection.execute(update(leases).values(holder="another process"))

    with pytest.raises(LeaseLostError):
        await running

    assert len(fake_rootly.services) < 400
    stored = await sync.runs.latest(TEAM)
    assert stored is not None
    assert stored.status is Status.FAILED
