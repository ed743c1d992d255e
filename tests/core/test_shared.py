"""Several processes, one budget, one cache, one single-flight: through Redis, against the fake
Cortex. Each `Process` here is what one `cortex-bot` process holds (its own transport, budget and
cache, its own Redis connection); the real processes are in `test_e2e`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from bot.budget import BudgetLimits
from bot.cache import DEFAULT_STALE_FOR, ResponseCache
from bot.catalog import Catalog
from bot.cortex import CORTEX_LIMITS, CortexClient, cortex_api, cortex_budget
from bot.cortex.models import DeployType, NewDeploy
from bot.egress import Egress
from bot.errors import BudgetBusyError, NotFoundError
from bot.http import RetryPolicy
from bot.shared import RedisEntries, RedisLedger, SharedRedis
from tests.support.fakes.cortex import FakeCortex
from tests.support.redis_support import REDIS_URL, needs_redis, own_redis_server, unique_key

pytestmark = needs_redis

TEAM = "T-SHARED"
POLICY = RetryPolicy(attempts=2, request_timeout=2.0, deadline=4.0, backoff_base=0.01)


@dataclass
class Process:
    redis: SharedRedis
    cache: ResponseCache
    catalog: Catalog


@pytest.fixture
def api_key(fake_cortex: FakeCortex) -> str:
    key = unique_key()
    fake_cortex.api_keys.add(key)
    return key


@pytest.fixture
async def processes(
    egress: Egress, fake_cortex: FakeCortex, api_key: str
) -> AsyncIterator[list[Process]]:
    async with _processes(egress, fake_cortex, api_key, REDIS_URL or "", 3) as started:
        yield started


def _process(
    egress: Egress, cortex: FakeCortex, key: str, url: str, limits: BudgetLimits
) -> Process:
    redis = SharedRedis(url)
    budget = cortex_budget(limits, RedisLedger(redis, limits.period))
    client = CortexClient(cortex_api(egress, POLICY, budget=budget), cortex.base_url, key, TEAM)
    cache = ResponseCache(shared=RedisEntries(redis, DEFAULT_STALE_FOR))
    return Process(redis, cache, Catalog(client, cache, TEAM))


@asynccontextmanager
async def _processes(
    egress: Egress,
    cortex: FakeCortex,
    key: str,
    url: str,
    count: int,
    limits: BudgetLimits = CORTEX_LIMITS,
) -> AsyncIterator[list[Process]]:
    started = [_process(egress, cortex, key, url, limits) for _ in range(count)]
    try:
        yield started
    finally:
        for process in started:
            await process.redis.aclose()


async def test_a_service_one_process_fetched_is_a_cache_hit_in_another(
    processes: list[Process], fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("payments-api", "Payments API")

    fetched = await processes[0].catalog.entity("payments-api")
    elsewhere = await processes[1].catalog.entity("payments-api")

    assert elsewhere.value == fetched.value
    assert not elsewhere.stale
    assert fake_cortex.count() == 1
    assert processes[1].cache.stats.shared_hits == 1


async def test_identical_lookups_across_processes_cost_one_request(
    processes: list[Process], fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("payments-api")
    fake_cortex.latency = 0.2

    answers = await asyncio.gather(
        *(processes[n % 3].catalog.entity("payments-api") for n in range(100))
    )

    assert {answer.value.tag for answer in answers} == {"payments-api"}
    assert fake_cortex.count() == 1


async def test_not_found_is_remembered_for_every_process(
    processes: list[Process], fake_cortex: FakeCortex
) -> None:
    for process in processes:
        with pytest.raises(NotFoundError):
            await process.catalog.entity("paymnts")

    assert fake_cortex.count() == 1


async def test_a_write_in_one_process_invalidates_the_others(
    processes: list[Process], fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.add_deploy("api", "v1", datetime(2026, 11, 20, tzinfo=UTC))
    assert len((await processes[1].catalog.deploys("api")).value) == 1

    await processes[0].catalog.add_deploy(
        "api", NewDeploy(title="v2", type=DeployType.DEPLOY, timestamp=datetime.now(UTC))
    )
    after = await processes[2].catalog.deploys("api")

    assert [deploy.title for deploy in after.value] == ["v2", "v1"]


async def test_processes_share_one_budget_per_key(
    egress: Egress, fake_cortex: FakeCortex, api_key: str
) -> None:
    small = BudgetLimits(requests=30, period=60.0, margin=0.0)
    fake_cortex.rate_limit = (small.requests, small.period)
    tags = [f"svc-{number:02d}" for number in range(40)]
    for tag in tags:
        fake_cortex.add_service(tag)
    async with _processes(egress, fake_cortex, api_key, REDIS_URL or "", 3, small) as three:
        answers = await asyncio.gather(
            *(three[n % 3].catalog.entity(tag) for n, tag in enumerate(tags)),
            return_exceptions=True,
        )

    busy = [answer for answer in answers if isinstance(answer, BudgetBusyError)]
    assert len(busy) == 10
    assert fake_cortex.count() == 30
    assert fake_cortex.rate_limited == 0


async def test_with_redis_stopped_requests_are_still_answered(
    egress: Egress,
    fake_cortex: FakeCortex,
    api_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.add_service("ledger")
    async with (
        own_redis_server() as (url, server),
        _processes(egress, fake_cortex, api_key, url, 2) as two,
    ):
        await two[0].catalog.entity("api")
        assert await two[0].redis.answers()
        server.terminate()
        await server.wait()

        first = await two[0].catalog.entity("ledger")
        second = await two[1].catalog.entity("api")
        health = await two[1].redis.answers()

    assert first.value.tag == "ledger"
    assert second.value.tag == "api"
    assert not health
    assert "Redis is not answering" in caplog.text
