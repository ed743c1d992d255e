"""The response cache through a workspace's Catalog, against the fake Cortex."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.cache import MISSING_TTL, ResponseCache
from bot.catalog import Catalog, Ttl
from bot.cortex import CortexClient
from bot.cortex.models import DeployType, NewDeploy
from bot.errors import NotFoundError, UnavailableError, UnknownServiceError
from bot.http import JsonApi
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault


class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def response_cache(clock: ManualClock) -> ResponseCache:
    return ResponseCache(clock=clock)


async def test_a_warm_read_costs_no_request(catalog: Catalog, fake_cortex: FakeCortex) -> None:
    fake_cortex.add_service("api")

    first = await catalog.entity("api")
    second = await catalog.entity("api")

    assert first.value == second.value
    assert fake_cortex.count() == 1


async def test_entries_expire_after_their_ttl(
    catalog: Catalog, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    fake_cortex.add_service("api")
    await catalog.entity("api")

    clock.now += Ttl.ENTITY + 1
    await catalog.entity("api")

    assert fake_cortex.count() == 2


async def test_workspaces_never_share_entries(
    cortex: CortexClient, response_cache: ResponseCache, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api", description="alpha's view")
    alpha = Catalog(cortex, response_cache, team_id="T-ALPHA")
    beta = Catalog(cortex, response_cache, team_id="T-BETA")

    await alpha.entity("api")
    fake_cortex.entities["api"]["description"] = "beta's view"
    seen_by_beta = await beta.entity("api")

    assert seen_by_beta.value.description == "beta's view"
    assert fake_cortex.count() == 2


async def test_another_key_or_cortex_url_is_another_cache_scope(
    cortex_transport: JsonApi, response_cache: ResponseCache, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.api_keys.add("second-key-of-the-same-workspace")
    first = CortexClient(cortex_transport, fake_cortex.base_url, CORTEX_KEY)
    reconnected = CortexClient(
        cortex_transport, fake_cortex.base_url, "second-key-of-the-same-workspace"
    )

    await Catalog(first, response_cache, "T-ALPHA").entity("api")
    await Catalog(reconnected, response_cache, "T-ALPHA").entity("api")

    assert fake_cortex.count() == 2


async def test_concurrent_identical_reads_share_one_request(
    catalog: Catalog, fake_cortex: FakeCortex, response_cache: ResponseCache
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.latency = 0.05

    answers = await asyncio.gather(*(catalog.entity("api") for _ in range(100)))

    assert {answer.value.tag for answer in answers} == {"api"}
    assert fake_cortex.count() == 1
    assert response_cache.stats.shared_waits == 99


async def test_a_cancelled_waiter_does_not_cancel_the_shared_request(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.latency = 0.05
    impatient = asyncio.ensure_future(catalog.entity("api"))
    patient = asyncio.ensure_future(catalog.entity("api"))
    await asyncio.sleep(0.01)

    impatient.cancel()

    assert (await patient).value.tag == "api"
    assert fake_cortex.count() == 1


async def test_a_failed_read_is_shared_and_not_cached(
    catalog: Catalog, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults += [Fault(status=503) for _ in range(3)]
    results = await asyncio.gather(
        *(catalog.entity("api") for _ in range(10)), return_exceptions=True
    )

    assert all(isinstance(result, UnavailableError) for result in results)
    assert (await catalog.entity("api")).value.tag == "api"
    assert fake_cortex.count() == 4  # three attempts shared by the ten reads, then one more


async def test_not_found_is_remembered_for_a_while(
    catalog: Catalog, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    results = await asyncio.gather(
        *(catalog.entity("ghost") for _ in range(10)), return_exceptions=True
    )
    with pytest.raises(NotFoundError):
        await catalog.entity("ghost")  # the same typo again costs no request

    assert all(isinstance(result, NotFoundError) for result in results)
    assert fake_cortex.count() == 1
    fake_cortex.add_service("ghost")
    clock.now += MISSING_TTL
    assert (await catalog.entity("ghost")).value.tag == "ghost"
    assert fake_cortex.count() == 2


async def test_stale_answer_when_cortex_fails(
    catalog: Catalog, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    fake_cortex.add_service("api", description="known good")
    fresh = await catalog.entity("api")
    clock.now += Ttl.ENTITY + 1
    fake_cortex.faults += [Fault(status=503) for _ in range(3)]

    served = await catalog.entity("api")

    assert served.stale
    assert not fresh.stale
    assert served.value.description == "known good"
    assert served.fetched_at == fresh.fetched_at


async def test_no_stale_answer_beyond_the_stale_window(
    catalog: Catalog, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    fake_cortex.add_service("api")
    await catalog.entity("api")
    clock.now += Ttl.ENTITY + 2 * 3600
    fake_cortex.faults += [Fault(status=503) for _ in range(3)]

    with pytest.raises(UnavailableError):
        await catalog.entity("api")


async def test_a_write_invalidates_what_it_made_stale(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.add_deploy("api", "v1", datetime(2026, 11, 20, tzinfo=UTC))
    await catalog.entity("api")
    assert [deploy.title for deploy in (await catalog.deploys("api")).value] == ["v1"]

    await catalog.add_deploy(
        "api", NewDeploy(title="v2", type=DeployType.DEPLOY, timestamp=datetime.now(UTC))
    )
    deploys = await catalog.deploys("api")
    await catalog.entity("api")

    assert [deploy.title for deploy in deploys.value] == ["v2", "v1"]
    assert fake_cortex.count("GET", "/api/v1/catalog/api/deploys") == 2
    assert fake_cortex.count("GET", "/api/v1/catalog/api") == 3  # entity read once, deploys twice


async def test_an_answer_in_flight_during_a_write_is_not_cached(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=200, delay=0.1, path_contains="/deploys", method="GET"))
    before_write = asyncio.ensure_future(catalog.deploys("api"))
    await asyncio.sleep(0.02)

    await catalog.add_deploy(
        "api", NewDeploy(title="v2", type=DeployType.DEPLOY, timestamp=datetime.now(UTC))
    )
    await before_write
    after_write = await catalog.deploys("api")

    assert [deploy.title for deploy in after_write.value] == ["v2"]


async def test_the_cache_stays_bounded(
    cortex: CortexClient, fake_cortex: FakeCortex, clock: ManualClock
) -> None:
    fake_cortex.add_service("api")
    small = ResponseCache(max_entries=10, clock=clock)

    for number in range(50):
        await Catalog(cortex, small, f"T-{number}").entity("api")

    assert len(small) == 10


async def test_what_is_held_is_what_the_cache_still_has_however_many_came_and_went(
    clock: ManualClock,
) -> None:
    small = ResponseCache(max_entries=10, stale_for=0.0, clock=clock)
    deploys = ("T-1", "url", "fp", "deploys")
    others = ("T-2", "url", "fp", "deploys")

    for number in range(50):  # five times what it holds: the oldest are dropped
        await small.get_or_fetch((*deploys, f"svc-{number}"), 60, fetching(f"svc-{number}"))
    await small.get_or_fetch((*others, "other"), 30, fetching("other"))
    held = small.held(deploys)
    clock.now += 45  # past the other workspace's entry's time

    assert sorted(held) == sorted(f"svc-{number}" for number in range(41, 50))
    assert small.held(others) == []
    assert small.held(("T-1", "url", "fp", "entity")) == []


async def test_reading_what_is_held_does_not_keep_an_entry_from_being_evicted(
    clock: ManualClock,
) -> None:
    small = ResponseCache(max_entries=2, clock=clock)
    deploys = ("T-1", "url", "fp", "deploys")
    await small.get_or_fetch((*deploys, "a"), 60, fetching("a"))
    await small.get_or_fetch((*deploys, "b"), 60, fetching("b"))
    await small.get_or_fetch((*deploys, "a"), 60, fetching("a"))  # a used last: b goes next

    small.held(deploys)  # an options load of the environments menu: reads a, then b
    await small.get_or_fetch((*deploys, "c"), 60, fetching("c"))

    assert sorted(small.held(deploys)) == ["a", "c"]


def fetching(value: str) -> Callable[[], Awaitable[str]]:
    async def fetch() -> str:
        return value

    return fetch


async def test_resolving_and_typeahead_read_the_cached_catalog(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("payments-api", "Payments API")
    fake_cortex.add_service("search-api", "Search API")

    async def tag_of(tag: str) -> str:
        return tag

    found = await catalog.resolve("Payments API", tag_of)
    with pytest.raises(UnknownServiceError) as typo:  # two words: no check for a new service
        await catalog.resolve("paymnts api", tag_of)
    options = await catalog.typeahead("se")

    assert found == "payments-api"
    assert [entity.tag for entity in typo.value.suggestions][:1] == ["payments-api"]
    assert [entity.tag for entity in options][:1] == ["search-api"]
    assert fake_cortex.count("GET", "/api/v1/catalog") == 1
