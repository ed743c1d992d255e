"""Benchmark: a Cortex → Rootly sync of 5,000 services, then the same sync with nothing changed.

The fake Cortex and fake Rootly answer every request after 50 ms; the fake Rootly enforces its
documented quota (3000 reads and 3000 writes a minute per key, sliding window) and the clients
their own limiters (Cortex 1000 requests a minute; Rootly 2500 a minute, bursts of 50). The lower
bound of each run is what those limits and the latency allow whatever the client does:

- listing: Cortex's first page, then its other pages at once (2 round trips), Rootly's likewise,
  the two side by side;
- writes: after the bucket's burst, one write per 1/rate seconds, and the last one's round trip.

The last row repeats the rerun with no latency at all: what remains is the CPU time of the fakes
and the clients, which share this one process.

    .venv/bin/python -m bench.sync [--services 5000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.cortex.client import PAGE_SIZE as CORTEX_PAGE_SIZE
from bot.crypto import Keyring, new_key
from bot.rootly.client import PAGE_SIZE as ROOTLY_PAGE_SIZE
from bot.rootly.client import ROOTLY_RATE_LIMIT
from bot.services import open_services
from bot.sync import SyncEngine, SyncReport
from bot.workspaces import NewKeys
from tests.support.databases import migrate_in_thread
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly

TEAM = "T0BENCH"


@dataclass
class Run:
    label: str
    seconds: float
    cortex_requests: int
    rootly_reads: int
    rootly_writes: int
    bound: float
    report: SyncReport


def pages(items: int, page_size: int) -> int:
    return max(1, math.ceil(items / page_size))


def round_trips(pages: int) -> int:
    """The first page tells how many there are; all the others can then be asked at once."""
    return 1 if pages <= 1 else 2


def lower_bound(cortex_pages: int, rootly_pages: int, writes: int, latency: float) -> float:
    listing = max(round_trips(cortex_pages), round_trips(rootly_pages)) * latency
    limit = ROOTLY_RATE_LIMIT
    rate = (limit.per_period - limit.burst) / limit.period
    waiting = max(0, rootly_pages + writes - limit.burst) / rate
    return listing + (waiting + latency if writes else 0.0)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def timed_sync(
    engine: SyncEngine, cortex: FakeCortex, rootly: FakeRootly, label: str, latency: float
) -> Run:
    services_before = len(rootly.services)
    cortex.received.clear()
    rootly.received.clear()
    started = time.perf_counter()
    report = await engine.run(TEAM, triggered_by="bench")
    seconds = time.perf_counter() - started
    writes = rootly.count("POST") + rootly.count("PUT")
    return Run(
        label=label,
        seconds=seconds,
        cortex_requests=len(cortex.received),
        rootly_reads=rootly.count("GET"),
        rootly_writes=writes,
        bound=lower_bound(
            pages(len(cortex.entities), CORTEX_PAGE_SIZE),
            pages(services_before, ROOTLY_PAGE_SIZE),
            report.counts.written,
            latency,
        ),
        report=report,
    )


async def main(count: int, latency: float) -> list[Run]:
    cortex = FakeCortex(latency=latency, check_contract=False)
    rootly = FakeRootly(latency=latency, check_contract=False)
    for number in range(count):
        cortex.add_service(f"svc-{number:05d}", description=f"Service number {number}")
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await migrate_in_thread(database_url)
        async with serving(cortex.app()) as cortex_url, serving(rootly.app()) as rootly_url:
            settings = Settings(
                _env_file=None,
                cortex_api_url=cortex_url,
                rootly_api_url=rootly_url,
                database_url=database_url,
            )
            async with open_services(settings, Keyring.from_encoded([new_key()])) as services:
                await services.workspaces.save(
                    TEAM, NewKeys(cortex_url, CORTEX_KEY, ROOTLY_KEY), connected_by="bench"
                )
                engine = SyncEngine(services)
                first = await timed_sync(engine, cortex, rootly, "first sync", latency)
                rerun = await timed_sync(engine, cortex, rootly, "no-change rerun", latency)
                cortex.latency = rootly.latency = 0.0
                floor = await timed_sync(engine, cortex, rootly, "no-change rerun, 0 ms", 0.0)
    return [first, rerun, floor]


def report(runs: list[Run], count: int, latency: float) -> None:
    print(
        f"Cortex → Rootly sync of {count:,} services; fake Cortex and Rootly at "
        f"{latency * 1000:.0f} ms, their documented rate limits"
    )
    print(
        "| run | wall time | Cortex requests | Rootly reads | Rootly writes "
        "| created / unchanged | lower bound | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        counts = run.report.counts
        ratio = f"{run.seconds / run.bound:.2f}" if run.bound else "-"
        print(
            f"| {run.label} | {run.seconds:.2f} s | {run.cortex_requests} | {run.rootly_reads} "
            f"| {run.rootly_writes} | {counts.created} / {counts.unchanged} "
            f"| {run.bound:.2f} s | {ratio} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.05)
    arguments = parser.parse_args()
    outcome = asyncio.run(main(arguments.services, arguments.latency))
    report(outcome, arguments.services, arguments.latency)
