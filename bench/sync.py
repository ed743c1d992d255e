"""Benchmark: Cortex → Rootly syncs, with Rootly's bulk upserts and its header-driven pacing.

The fake Cortex and fake Rootly answer every request after 50 ms (`--latency`). The fake Cortex
enforces nothing; the client keeps it under its documented 1000 requests a minute. The fake
Rootly enforces a quota per key, reads and writes apart, over a sliding window, and announces it
in `X-RateLimit-*` headers, which is all the client knows of it:

- "3,000/min": Rootly's public API reference (3,000 reads and 3,000 writes a minute);
- "5 reads, 3 writes/min": the official document's default, run `--scale` times faster (a window
  of 60 s / scale, the fakes' latency divided by scale: the pacer follows whatever window the
  headers announce), the wall time then multiplied back by `--scale`. The CPU time of the bot and
  the fakes is multiplied too, so these figures are a little high.

Runs, each a first sync into an empty Rootly unless it says otherwise:
1. 5,000 services, bulk writes; the same with a key Rootly refuses bulk upserts (one by one);
2. the no-change rerun;
3. 5,000 services with every field on (owners, repository, paging, Slack channels): paging needs
   one Cortex call per service for its on-call registration;
4. 500, 5,000 and 50,000 services, to show the cost grows linearly;
5. 5,000 services at the document's default quota, bulk writes; and one by one for `--slow`
   services, its time per service multiplied out to 5,000.

Each row says how the sync ended (succeeded, partial, failed) and counts what it did.

    .venv/bin/python -m bench.sync [--latency 0.05] [--scale 100] [--slow 30] [--skip-fields]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.crypto import Keyring, new_key
from bot.services import Services, open_services
from bot.sync import SyncEngine, SyncReport
from bot.sync.fields import SyncField
from bot.workspaces import NewKeys
from tests.support.databases import migrate_in_thread
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly, Quota

TEAM = "T0BENCH"
TEAMS = 100  # Cortex owner teams the services of the all-fields run are spread over
PUBLIC_REFERENCE = Quota(reads=3000, writes=3000, window=60.0)
DOCUMENT_DEFAULT = Quota(reads=5, writes=3, window=60.0)


@dataclass
class Run:
    label: str
    services: int
    seconds: float
    cortex_requests: int
    rootly_reads: int
    rootly_writes: int
    report: SyncReport
    scale: float = 1.0

    @property
    def outcome(self) -> str:
        counts = self.report.counts
        done = f"{counts.created} created, {counts.updated} updated, {counts.unchanged} unchanged"
        return f"{self.report.status}: {done}, {counts.failed} failed"


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


def seed(cortex: FakeCortex, count: int, *, every_field: bool = False) -> dict[str, str]:
    """`count` services in Cortex; with every field, their data too. Returns Slack's channels."""
    channels = {}
    for number in range(count):
        tag = f"svc-{number:05d}"
        if not every_field:
            cortex.add_service(tag, description=f"Service number {number}")
            continue
        cortex.add_service(
            tag,
            description=f"Service number {number}",
            teams=(f"team-{number % TEAMS:03d}",),
            slack_channels=(f"{tag}-alerts",),
            repository=("github", f"acme/{tag}"),
        )
        cortex.register_oncall(tag, "PAGERDUTY", f"PD{number:05d}")
        channels[f"{tag}-alerts"] = f"C{number:08d}"
    return channels


@asynccontextmanager
async def world(
    count: int, latency: float, quota: Quota, *, every_field: bool = False
) -> AsyncIterator[tuple[SyncEngine, FakeCortex, FakeRootly]]:
    """Fakes seeded with `count` services, a connected workspace, and its sync engine."""
    cortex = FakeCortex(latency=latency, check_contract=False)
    rootly = FakeRootly(latency=latency, check_contract=False, quota=quota)
    channels = seed(cortex, count, every_field=every_field)

    async def directory(_team_id: str) -> Mapping[str, str]:
        return channels

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
                engine = await connected(services, cortex_url, directory)
                if every_field:
                    await engine.set_fields(TEAM, set(SyncField), "bench")
                yield engine, cortex, rootly


async def connected(
    services: Services,
    cortex_url: str,
    directory: Callable[[str], Awaitable[Mapping[str, str]]],
) -> SyncEngine:
    await services.workspaces.save(
        TEAM, NewKeys(cortex_url, CORTEX_KEY, ROOTLY_KEY), connected_by="bench"
    )
    return SyncEngine(services, channels=directory)


async def timed(
    engine: SyncEngine, cortex: FakeCortex, rootly: FakeRootly, label: str, scale: float = 1.0
) -> Run:
    cortex.received.clear()
    rootly.received.clear()
    started = time.perf_counter()
    report = await engine.run(TEAM, triggered_by="bench")
    return Run(
        label=label,
        services=len(cortex.entities),
        seconds=time.perf_counter() - started,
        cortex_requests=len(cortex.received),
        rootly_reads=rootly.count("GET"),
        rootly_writes=rootly.count("POST") + rootly.count("PUT"),
        report=report,
        scale=scale,
    )


async def first_and_rerun(latency: float) -> list[Run]:
    async with world(5000, latency, PUBLIC_REFERENCE) as (engine, cortex, rootly):
        first = await timed(engine, cortex, rootly, "first sync, bulk, 3,000/min")
        rerun = await timed(engine, cortex, rootly, "no-change rerun, 3,000/min")
    async with world(5000, latency, PUBLIC_REFERENCE) as (engine, cortex, rootly):
        rootly.bulk_allowed = False
        one_by_one = await timed(engine, cortex, rootly, "first sync, one by one, 3,000/min")
    return [first, rerun, one_by_one]


async def every_field(latency: float) -> list[Run]:
    async with world(5000, latency, PUBLIC_REFERENCE, every_field=True) as (engine, c, r):
        first = await timed(engine, c, r, "first sync, every field on, 3,000/min")
        rerun = await timed(engine, c, r, "no-change rerun, every field on")
    return [first, rerun]


async def growth(latency: float) -> list[Run]:
    runs = []
    for count in (500, 5000, 50_000):
        async with world(count, latency, PUBLIC_REFERENCE) as (engine, cortex, rootly):
            runs.append(await timed(engine, cortex, rootly, f"first sync of {count:,}"))
    return runs


async def default_quota(latency: float, scale: float, slow: int) -> list[Run]:
    quota = Quota(
        reads=DOCUMENT_DEFAULT.reads,
        writes=DOCUMENT_DEFAULT.writes,
        window=DOCUMENT_DEFAULT.window / scale,
    )
    latency /= scale
    async with world(5000, latency, quota) as (engine, cortex, rootly):
        bulk = await timed(engine, cortex, rootly, "first sync, bulk, 5 reads/3 writes", scale)
    async with world(slow, latency, quota) as (engine, cortex, rootly):
        rootly.bulk_allowed = False
        label = f"first sync of {slow}, one by one, 5 reads/3 writes"
        one_by_one = await timed(engine, cortex, rootly, label, scale)
    return [bulk, one_by_one]


def print_table(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print("| run | services | wall time | Cortex requests | Rootly reads | Rootly writes ", end="")
    print("| result |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.label} | {run.services:,} | {duration(run.seconds * run.scale)} "
            f"| {run.cortex_requests:,} | {run.rootly_reads:,} | {run.rootly_writes:,} "
            f"| {run.outcome} |"
        )


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.2f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


async def main(arguments: argparse.Namespace) -> None:
    latency = arguments.latency
    print(f"Fake Cortex and Rootly at {latency * 1000:.0f} ms; Rootly's quota as each row says.")
    print_table("Bulk writes against one by one, and the rerun", await first_and_rerun(latency))
    if not arguments.skip_fields:
        print_table("Every field on", await every_field(latency))
    print_table("Growth", await growth(latency))
    slow = await default_quota(latency, arguments.scale, arguments.slow)
    print_table(f"Rootly's documented default quota (window 1/{arguments.scale:g} min)", slow)
    per_service = slow[1].seconds * slow[1].scale / slow[1].services
    print(f"One by one, 5,000 services at that quota: about {duration(per_service * 5000)}.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--slow", type=int, default=30, help="services synced one by one")
    parser.add_argument("--skip-fields", action="store_true", help="skip the every-field runs")
    asyncio.run(main(parser.parse_args()))
