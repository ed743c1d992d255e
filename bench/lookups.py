"""Benchmark: 1,000 service lookups over 200 services, with and without the response cache.

A lookup is what `/cortex <name>` does first: resolve the typed text (a tag, a name or a typo)
against the catalog, then read that entity's details. The fake Cortex answers every request after
100 ms. Without the cache, the client's limiter holds the run to Cortex's 1000 requests a minute.

    .venv/bin/python -m bench.lookups [--lookups 1000] [--services 200] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass

from aiohttp import web

from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient, cortex_api
from bot.egress import AddressPolicy, open_egress
from bot.finder import find_named
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex

CONCURRENCY = 20


@dataclass
class Result:
    label: str
    requests: int
    hit_ratio: float | None
    seconds: float


def queries(services: int, lookups: int, seed: int = 7) -> list[str]:
    """What people type: mostly tags, some full names, some typos, skewed to popular services."""
    chooser = random.Random(seed)
    typed = []
    for _ in range(lookups):
        number = min(int(chooser.paretovariate(1.2)) - 1, services - 1)
        style = chooser.random()
        if style < 0.6:
            typed.append(f"svc-{number:03d}")
        elif style < 0.9:
            typed.append(f"Service {number:03d}")
        else:
            typed.append(f"svc{number:03d}")  # a missing dash: resolved by fuzzy matching
    return typed


async def run_cached(catalog: Catalog, typed: list[str]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def lookup(text: str) -> None:
        async with gate:
            found = find_named(text, (await catalog.services()).value)
            target = found.match or found.suggestions[0]
            await catalog.entity(target.tag)

    await asyncio.gather(*(lookup(text) for text in typed))


async def run_uncached(client: CortexClient, typed: list[str]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def lookup(text: str) -> None:
        async with gate:
            matches = await client.list_entities(query=text.replace(" ", "-").lower())
            await client.get_entity(matches[0].tag if matches else "svc-000")

    await asyncio.gather(*(lookup(text) for text in typed))


async def main(lookups: int, services: int, latency: float) -> list[Result]:
    fake = FakeCortex(latency=latency, check_contract=False)
    for number in range(services):
        fake.add_service(f"svc-{number:03d}", f"Service {number:03d}")
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    typed = queries(services, lookups)
    results = []
    try:
        base_url = f"http://127.0.0.1:{port}"
        async with open_egress([base_url], AddressPolicy()) as egress:
            client = CortexClient(cortex_api(egress), base_url, CORTEX_KEY)
            cache = ResponseCache()
            started = time.perf_counter()
            await run_cached(Catalog(client, cache, "T-BENCH"), typed)
            results.append(
                Result(
                    "client + cache",
                    len(fake.received),
                    cache.stats.hit_ratio,
                    time.perf_counter() - started,
                )
            )
            fake.received.clear()
            started = time.perf_counter()
            await run_uncached(client, typed)
            results.append(
                Result("client alone", len(fake.received), None, time.perf_counter() - started)
            )
    finally:
        await runner.cleanup()
    return results


def report(results: list[Result], lookups: int, services: int, latency: float) -> None:
    print(
        f"{lookups} lookups over {services} services, fake Cortex latency {latency * 1000:.0f} ms, "
        f"{CONCURRENCY} at a time"
    )
    print(
        f"| {'setup':<15} | {'Cortex requests':>15} | {'cache hit ratio':>15} | {'wall time':>9} |"
    )
    print(f"|{'-' * 17}|{'-' * 17}|{'-' * 17}|{'-' * 11}|")
    for result in results:
        ratio = f"{result.hit_ratio:.1%}" if result.hit_ratio is not None else "-"
        print(
            f"| {result.label:<15} | {result.requests:>15} | {ratio:>15} | "
            f"{result.seconds:>7.2f} s |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=1000)
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.1)
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments.lookups, arguments.services, arguments.latency))
    report(outcome, arguments.lookups, arguments.services, arguments.latency)
