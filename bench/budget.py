"""Benchmark: sharing Cortex's budget. Fake Cortex enforcing 1000 requests a minute per key, 100 ms.

(a) `digest`: a digest of 1,000 services (2,000 reads) while 20 cold cards are asked at once, with
    the limiter of before (500 at once, then 500 a minute, first come first served) and with the
    budget (1000 a minute, interactive first). Card answers during the digest over idle, and what
    each card was: full, with missing parts, or an error; then the digest's build time.
(b) `processes`: 600 cold card lookups over 300 services sent across 1 or 3 processes (each with its
    own transport, budget and cache, as `cortex-bot serve` has), with and without Redis: 429s
    from Cortex, Cortex requests, cache hit ratio, answer p50/p99, and what each answer was.

    .venv/bin/python -m bench.budget digest|processes [--redis redis://127.0.0.1:6379/14]

Bounded: at most a few thousand requests, to 127.0.0.1 only; (a) takes about 6 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.answers import Kind, of_error, of_snapshot, tally
from bot.cache import DEFAULT_STALE_FOR, ResponseCache
from bot.catalog import Catalog
from bot.cortex import CORTEX_LIMITS, CortexClient, cortex_api, cortex_budget
from bot.cortex.client import CORTEX
from bot.digests import Scope, Window
from bot.digests.content import build_content
from bot.egress import AddressPolicy, Egress, open_egress
from bot.errors import BotError
from bot.http import JsonApi, RateLimit, RateLimiters, open_api
from bot.lanes import background
from bot.shared import RedisEntries, RedisLedger, SharedRedis
from bot.snapshot import take_snapshot
from bot.storage import create_engine
from bot.sync.runs import SyncRuns
from tests.support.databases import migrate_in_thread
from tests.support.fakes.cortex import FakeCortex
from tests.support.processes import free_port

LATENCY = 0.1
# The fake Cortex listens on 127.0.0.1, as a self-managed one may when the operator allows it.
LOCAL_FAKES = AddressPolicy(allow_private=True)
# The limiter of before: half the budget at once, the rest drained evenly.
BEFORE = RateLimit(per_period=1000, period=60.0, burst=500)


@dataclass
class Answer:
    seconds: float
    kind: Kind


@asynccontextmanager
async def fake_cortex(services: int) -> AsyncIterator[FakeCortex]:
    fake = FakeCortex(latency=LATENCY, check_contract=False, rate_limit=(1000, 60.0))
    for number in range(services):
        fake.add_service(f"svc-{number:04d}", f"Service {number:04d}")
    fake.add_deploy("svc-0000", "release 1", datetime.now(UTC))
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.base_url = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        await runner.cleanup()


async def card(catalog: Catalog, tag: str) -> Answer:
    started = time.perf_counter()
    try:
        kind = of_snapshot(await take_snapshot(catalog, tag))
    except BotError as error:
        kind = of_error(error)
    return Answer(time.perf_counter() - started, kind)


async def cards_at_once(catalog: Catalog, tags: list[str]) -> list[Answer]:
    return await asyncio.gather(*(card(catalog, tag) for tag in tags))


def summary(answers: list[Answer]) -> str:
    return tally(answer.kind for answer in answers)


def percentile(answers: list[Answer], share: int) -> float:
    samples = sorted(answer.seconds for answer in answers)
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[share - 1]


async def digest_run(label: str, api: JsonApi, fake: FakeCortex, runs: SyncRuns) -> None:
    key = uuid.uuid4().hex
    fake.api_keys.add(key)
    catalog = Catalog(CortexClient(api, fake.base_url, key, "T-BENCH"), ResponseCache(), "T-BENCH")
    await catalog.services_with_archived()
    idle = await cards_at_once(catalog, [f"svc-{n:04d}" for n in range(980, 1000)])
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC))
    started = time.perf_counter()

    async def digest() -> float:
        with background():
            content = await build_content(catalog, runs, Scope(), window, None)
        assert content.in_scope == 1000
        return time.perf_counter() - started

    building = asyncio.ensure_future(digest())
    await asyncio.sleep(10)  # well into the digest
    busy = await cards_at_once(catalog, [f"svc-{n:04d}" for n in range(940, 960)])
    built_in = await building
    ratio50 = percentile(busy, 50) / percentile(idle, 50)
    ratio90 = percentile(busy, 90) / percentile(idle, 90)
    print(
        f"| {label} | {percentile(idle, 50) * 1000:.0f} / {percentile(idle, 90) * 1000:.0f} ms | "
        f"{percentile(busy, 50) * 1000:.0f} / {percentile(busy, 90) * 1000:.0f} ms | "
        f"{ratio50:.1f}x / {ratio90:.1f}x | {summary(busy)} | {built_in:.0f} s | "
        f"{fake.rate_limited} |"
    )


async def bench_digest() -> None:
    print(
        "| limiter | idle cards p50 / p90 | during the digest p50 / p90 | ratio | "
        "cards during the digest | digest build | 429s |"
    )
    print("|---|---|---|---|---|---|---|")
    engine_url = f"sqlite+aiosqlite:///bench-budget-{uuid.uuid4().hex[:8]}.db"
    await migrate_in_thread(engine_url)
    engine = create_engine(engine_url)
    runs = SyncRuns(engine)
    try:
        async with open_egress((), LOCAL_FAKES) as egress:
            for label, api in (
                (
                    "before: 500 at once, then 500/min",
                    open_api(CORTEX, egress, RateLimiters(BEFORE)),
                ),
                ("after: 1000/min, interactive first", cortex_api(egress)),
            ):
                async with fake_cortex(1000) as fake:
                    await digest_run(label, api, fake, runs)
    finally:
        await engine.dispose()
        path = engine_url.partition(":///")[2]
        await asyncio.to_thread(Path(path).unlink, missing_ok=True)


@dataclass
class Process:
    catalog: Catalog
    cache: ResponseCache
    redis: SharedRedis | None


def process(egress: Egress, fake: FakeCortex, key: str, redis_url: str | None) -> Process:
    redis = SharedRedis(redis_url) if redis_url else None
    ledger = RedisLedger(redis, CORTEX_LIMITS.period) if redis else None
    shared = RedisEntries(redis, DEFAULT_STALE_FOR) if redis else None
    api = cortex_api(egress, budget=cortex_budget(CORTEX_LIMITS, ledger))
    cache = ResponseCache(shared=shared)
    client = CortexClient(api, fake.base_url, key, "T-BENCH")
    return Process(Catalog(client, cache, "T-BENCH"), cache, redis)


async def processes_run(count: int, redis_url: str | None) -> None:
    chooser = random.Random(42)
    tags = [f"svc-{chooser.randrange(300):04d}" for _ in range(600)]
    async with fake_cortex(300) as fake, open_egress((), LOCAL_FAKES) as egress:
        key = uuid.uuid4().hex
        fake.api_keys.add(key)
        started = [process(egress, fake, key, redis_url) for _ in range(count)]
        gate = asyncio.Semaphore(100)

        async def one(number: int) -> Answer:
            async with gate:
                return await card(started[number % count].catalog, tags[number])

        answers = await asyncio.gather(*(one(number) for number in range(len(tags))))
        hits = sum(p.cache.stats.hits for p in started)
        lookups = hits + sum(p.cache.stats.misses for p in started)
        for each in started:
            if each.redis is not None:
                await each.redis.aclose()
        print(
            f"| {count} | {'yes' if redis_url else 'no'} | {fake.rate_limited} | "
            f"{len(fake.received)} | {hits / lookups:.0%} | "
            f"{percentile(answers, 50) * 1000:.0f} ms | {percentile(answers, 99) * 1000:.0f} ms | "
            f"{summary(answers)} |"
        )


async def bench_processes(redis_url: str | None) -> None:
    print(
        "| processes | Redis | 429s from Cortex | Cortex requests | cache hit ratio | "
        "answer p50 | answer p99 | answers |"
    )
    print("|---|---|---|---|---|---|---|---|")
    plans: list[tuple[int, str | None]] = [(1, None), (3, None)]
    if redis_url:
        plans += [(1, redis_url), (3, redis_url)]
    for count, url in plans:
        await processes_run(count, url)
        await asyncio.sleep(0)


RUNS: dict[str, Callable[[argparse.Namespace], Coroutine[Any, Any, None]]] = {
    "digest": lambda _arguments: bench_digest(),
    "processes": lambda arguments: bench_processes(arguments.redis),
}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", choices=sorted(RUNS))
    parser.add_argument("--redis", help="a Redis URL for the runs with Redis")
    arguments = parser.parse_args()
    asyncio.run(RUNS[arguments.run](arguments))
