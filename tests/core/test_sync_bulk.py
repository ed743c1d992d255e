"""Writes at Rootly's limit: bulk upserts of 100 keyed by external_id, all-or-nothing batches
split until the refused service is found, services of other tools written alone, and a sync
that waits out Rootly's documented default quota instead of giving up on services."""

from __future__ import annotations

import math

import pytest

from bot.services import Services
from bot.sync import Status, SyncEngine, SyncProgress
from bot.sync.plan import FieldDiff
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly, Quota
from tests.support.services import ADMIN, TEAM, rootly_by_cortex_id, seed_services, services_written

# The fixtures `services` and `sync` (tests/support/services.py).


def single_writes(rootly: FakeRootly) -> int:
    return len(rootly.requests_to("/v1/services", "POST")) + rootly.count("PUT")


async def test_250_creates_are_three_bulk_upserts_and_progress_counts_services(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 250)
    progress: list[SyncProgress] = []

    report = await sync.run(TEAM, triggered_by=ADMIN, on_progress=progress.append)

    batches = [len(request.body["entities"]) for request in fake_rootly.bulk_requests()]
    assert sorted(batches) == [50, 100, 100]
    assert single_writes(fake_rootly) == 0
    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    assert {service["external_id"] for service in fake_rootly.services.values()} == {
        f"cortex:{tag}" for tag in tags
    }
    assert (report.status, report.counts.created) == (Status.SUCCEEDED, 250)
    applying = [step.done for step in progress if step.stage == "applying"]
    assert applying == list(range(251))  # one step per service, not per request


@pytest.mark.parametrize(
    "names_refused_records", [True, False], ids=["Rootly names the record", "Rootly does not"]
)
async def test_a_batch_with_one_refused_service_writes_the_other_99(
    sync: SyncEngine,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    names_refused_records: bool,
) -> None:
    seed_services(fake_cortex, 100)
    fake_rootly.add_service("Svc 0042", cortex_id="another-tools-id")  # Rootly refuses the name
    fake_rootly.names_refused_records = names_refused_records

    report = await sync.run(TEAM, triggered_by=ADMIN)

    synced = rootly_by_cortex_id(fake_rootly)
    assert len(synced) == 1 + 99
    assert "svc-0042" not in synced
    assert (report.status, report.counts.created, report.counts.failed) == (Status.PARTIAL, 99, 1)
    [error] = report.errors
    requests = len(fake_rootly.bulk_requests())
    if names_refused_records:
        assert error == "svc-0042: Rootly: Name has already been taken (HTTP 422)"
        assert requests == 2  # the batch, then the 99 others
    else:
        assert error.startswith("svc-0042: Rootly: Invalid request")
        assert requests <= 1 + 2 * math.ceil(math.log2(100))  # halves, down to the one


async def test_a_service_of_another_tool_is_written_alone_and_keeps_its_external_id(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pay", "Payments", description="new words")
    service_id = fake_rootly.add_service(
        "Payments", cortex_id="pay", external_id="backstage:default/pay", description="old words"
    )

    report = await sync.run(TEAM, triggered_by=ADMIN)

    [put] = fake_rootly.requests_to(f"/v1/services/{service_id}", "PUT")
    assert put.body["data"]["attributes"] == {
        "name": "Payments",
        "description": "new words",
        "cortex_id": "pay",
    }
    assert fake_rootly.services[service_id]["external_id"] == "backstage:default/pay"
    assert fake_rootly.bulk_requests() == []
    assert report.counts.updated == 1


async def test_a_service_synced_before_external_ids_is_claimed_then_written_in_bulk(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pay", "Payments", description="v2")
    service_id = fake_rootly.add_service("Payments", cortex_id="pay", description="v1")

    await sync.run(TEAM, triggered_by=ADMIN)
    [claim] = fake_rootly.requests_to(f"/v1/services/{service_id}", "PUT")
    fake_cortex.entities["pay"]["description"] = "v3"
    await sync.run(TEAM, triggered_by=ADMIN)

    assert claim.body["data"]["attributes"]["external_id"] == "cortex:pay"
    [batch] = fake_rootly.bulk_requests()
    assert batch.body["entities"] == [
        {"name": "Payments", "description": "v3", "cortex_id": "pay", "external_id": "cortex:pay"}
    ]
    assert list(fake_rootly.services) == [service_id]
    assert fake_rootly.services[service_id]["description"] == "v3"


async def test_an_unchanged_service_is_not_written_just_to_claim_it(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pay", "Payments", description="same")
    fake_rootly.add_service("Payments", cortex_id="pay", description="same")

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert services_written(fake_rootly) == 0
    assert report.counts.unchanged == 1


async def test_a_key_that_may_not_bulk_upsert_writes_one_service_at_a_time(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    tags = seed_services(fake_cortex, 250)
    fake_rootly.bulk_allowed = False  # a record-scoped key: Rootly answers 404

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert (report.status, report.counts.created) == (Status.SUCCEEDED, 250)
    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    assert len(fake_rootly.requests_to("/v1/services", "POST")) == 250
    assert len(fake_rootly.bulk_requests()) <= 3  # at most each batch asked once before it knew


async def test_a_cortex_id_holding_the_entity_id_is_matched_and_kept(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    entity = fake_cortex.add_service("pay", "Payments", description="new")
    service_id = fake_rootly.add_service("Payments", cortex_id=entity["id"], description="old")

    report = await sync.run(TEAM, triggered_by=ADMIN)
    rerun = await sync.run(TEAM, triggered_by=ADMIN)

    assert list(fake_rootly.services) == [service_id]
    assert fake_rootly.services[service_id]["cortex_id"] == entity["id"]
    assert fake_rootly.services[service_id]["description"] == "new"
    assert (report.counts.updated, report.counts.created) == (1, 0)
    assert rerun.counts.unchanged == 1


async def test_a_dry_run_shows_each_field_before_and_after(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pay", "Payments API", description="Moves money")
    fake_cortex.add_service("new", "New One")
    fake_rootly.add_service("Payments", cortex_id="pay", description="Old words")

    report = await sync.run(TEAM, triggered_by=ADMIN, dry_run=True)

    assert services_written(fake_rootly) == 0
    update, create = sorted(report.changes, key=lambda line: line.action, reverse=True)
    assert update.diffs == (
        FieldDiff(attribute="name", before="Payments", after="Payments API"),
        FieldDiff(attribute="description", before="Old words", after="Moves money"),
    )
    assert (create.tag, create.diffs) == ("new", ())


async def test_rootlys_default_quota_is_waited_out_and_every_service_synced(
    services: Services, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    # The document's 5 reads and 3 writes "every 60 seconds", over half a second.
    fake_rootly.quota = Quota(reads=5, writes=3, window=0.5)
    fake_rootly.max_page_size = 25
    tags = seed_services(fake_cortex, 200)
    for tag in tags[:50]:  # synced one by one before external ids: 20 have changed since
        old = "stale" if tag < tags[20] else f"The {tag} service"
        fake_rootly.add_service(tag.replace("-", " ").title(), cortex_id=tag, description=old)
    progress: list[SyncProgress] = []

    report = await SyncEngine(services).run(TEAM, triggered_by=ADMIN, on_progress=progress.append)

    assert report.status is Status.SUCCEEDED
    counts = report.counts
    assert (counts.created, counts.updated, counts.unchanged, counts.failed) == (150, 20, 30, 0)
    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    assert fake_rootly.refused == 0  # paced by the headers, never refused
    assert any(step.waiting_for == "Rootly" and step.waiting_until for step in progress)
    assert progress[-1].waiting_for is None
