"""Benchmark: signed `/cortex <tag>` commands against the real `cortex-bot serve` process.

N commands at concurrency C, the fake Cortex answering after 300 ms and enforcing its documented
1000 requests a minute per key. Reports ack latency (the HTTP answer to Slack's request),
command-to-answer latency (until the answer reaches the response URL) and Cortex requests per
command; what each answer was, as the fake Slack received it (full card, card with missing parts,
busy, an error...), and how many 429s Cortex gave; then the same ack figures for a bare Bolt app
that only acks.

    .venv/bin/python -m bench.load [--commands 500] [--concurrency 50] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from bench.answers import Kind, of_message, tally
from bot.crypto import Keyring, new_key
from bot.storage import create_engine, migrate
from bot.workspaces import NewKeys, WorkspaceStore
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port, health_status
from tests.support.slack_harness import SIGNING_SECRET, signature_headers

TEAM = "T0BENCH"
BOT_TOKEN = "xoxb-bench-token"
SERVICES = 200
SINGLE_CARDS = 20


@dataclass
class Load:
    acks: list[float]
    answers: list[float]
    kinds: list[Kind]


@dataclass
class Run:
    label: str
    load: Load
    cortex_requests: int
    rate_limited: int  # 429s from Cortex
    commands: int


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@dataclass(frozen=True)
class Child:
    base_url: str
    pid: int


@asynccontextmanager
async def process(command: Sequence[str], env: dict[str, str], port: int) -> AsyncIterator[Child]:
    child = await asyncio.create_subprocess_exec(
        *command, env={**os.environ, **env}, stderr=asyncio.subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if await health_status(base) != 200:
            raise RuntimeError(f"{base} did not become healthy")
        yield Child(base, child.pid)
    finally:
        child.send_signal(signal.SIGTERM)
        await child.wait()


def command_body(tag: str, response_url: str, number: int) -> str:
    return urlencode(
        {
            "team_id": TEAM,
            "channel_id": "C0BENCH",
            "user_id": "U0BENCH",
            "command": "/cortex",
            "text": tag,
            "response_url": response_url,
            "trigger_id": f"bench-{number}",
        }
    )


def answered(slack: FakeSlack, count: int) -> Callable[[], bool]:
    return lambda: len(slack.answered_at) >= count


def random_tags(commands: int) -> list[str]:
    chooser = random.Random(42)
    return [f"svc-{chooser.randrange(SERVICES):03d}" for _ in range(commands)]


async def load(
    base: str, slack: FakeSlack, tags: list[str], concurrency: int, wait_for_answers: bool
) -> Load:
    """Send `/cortex <tag>` for each tag, `concurrency` at a time: ack and answer latencies, and
    what each answer was."""
    slack.answers.clear()
    slack.answered_at.clear()
    gate = asyncio.Semaphore(concurrency)
    acks: list[float] = []
    sent_at: dict[str, float] = {}

    async def one(session: aiohttp.ClientSession, number: int) -> None:
        async with gate:
            response_id = f"bench-{number}"
            body = command_body(tags[number], f"{slack.base_url}/response/{response_id}", number)
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            headers |= signature_headers(body)
            started = time.perf_counter()
            async with session.post(f"{base}/slack/events", data=body, headers=headers) as answer:
                await answer.read()
                assert answer.status == 200, answer.status
            acks.append(time.perf_counter() - started)
            sent_at[response_id] = started

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        if concurrency == 1:
            # One at a time means one after the other's answer: each card alone on the app.
            for number in range(len(tags)):
                await one(session, number)
                await slack.wait_for(answered(slack, number + 1), "the answer", 30)
        else:
            await asyncio.gather(*(one(session, number) for number in range(len(tags))))
    if wait_for_answers:
        # The answers still missing then are counted as such.
        with contextlib.suppress(AssertionError):
            await slack.wait_for(answered(slack, len(tags)), "every answer", 180)
    answers = [slack.answered_at[key] - sent_at[key] for key in sent_at if key in slack.answered_at]
    return Load(acks, answers, [of_message(slack.answers.get(key)) for key in sent_at])


async def connect_workspace(
    database_url: str,
    key: str,
    cortex_url: str,
    team: str = TEAM,
    cortex_key: str = CORTEX_KEY,
    rootly_key: str | None = None,
) -> None:
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    store = WorkspaceStore(engine, Keyring.from_encoded([key]))
    await store.save(team, NewKeys(cortex_url, cortex_key, rootly_key), connected_by="U0BENCH")
    await engine.dispose()


async def bot_environment(
    folder: Path, slack_url: str, cortex_url: str, rootly_key: str | None = None
) -> dict[str, str]:
    """The environment of a `cortex-bot serve` (but its PORT) in single-workspace mode, with a
    fresh SQLite database in `folder` where the workspace is already connected to Cortex (and to
    Rootly with `rootly_key`)."""
    key = new_key()
    database_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await connect_workspace(database_url, key, cortex_url, rootly_key=rootly_key)
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack_url}/api/",
        "CORTEX_API_URL": cortex_url,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEYS": key,
    }


async def main(commands: int, concurrency: int, latency: float) -> list[Run]:
    slack = FakeSlack()
    slack.add_workspace(TEAM, BOT_TOKEN)
    cortex = FakeCortex(latency=latency, check_contract=False, rate_limit=(1000, 60.0))
    for number in range(SERVICES):
        cortex.add_service(f"svc-{number:03d}", f"Service {number:03d}")
    runs = []
    async with serving(slack.app()) as slack_url, serving(cortex.app()) as cortex_url:
        slack.base_url = slack_url
        with tempfile.TemporaryDirectory() as folder:
            env = await bot_environment(Path(folder), slack_url, cortex_url)
            port = free_port()
            # Single cards first, one at a time, on services the bulk passes have not warmed.
            single = [f"svc-{number:03d}" for number in range(SERVICES - SINGLE_CARDS, SERVICES)]
            bulk = random_tags(commands)
            passes = [
                ("one card at a time, cold cache", single, 1),
                ("one card at a time, warm cache", single, 1),
                (f"{commands} commands, cold cache", bulk, concurrency),
                (f"{commands} commands, warm cache", bulk, concurrency),
            ]
            serve = [*cortex_bot_command(), "serve"]
            async with process(serve, {**env, "PORT": str(port)}, port) as bot:
                for label, tags, at_once in passes:
                    cortex.received.clear()
                    cortex.rate_limited = 0
                    got = await load(bot.base_url, slack, tags, at_once, True)
                    runs.append(
                        Run(label, got, len(cortex.received), cortex.rate_limited, len(tags))
                    )
            port = free_port()
            bare = [sys.executable, "-m", "bench.bare_bolt"]
            async with process(bare, {**env, "PORT": str(port)}, port) as floor:
                acked = await load(floor.base_url, slack, bulk, concurrency, False)
            floor_only = Load(acked.acks, [], [])
            runs.append(
                Run(f"bare Bolt, {commands} commands (ack only)", floor_only, 0, 0, commands)
            )
    return runs


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "- | -"
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return f"{cuts[49] * 1000:.0f} ms | {cuts[98] * 1000:.0f} ms"


def report(runs: list[Run], concurrency: int, latency: float) -> None:
    print(
        f"`/cortex <tag>` against `cortex-bot serve` over {SERVICES} services, bulk passes "
        f"{concurrency} at a time; fake Cortex latency {latency * 1000:.0f} ms"
    )
    print(
        "| pass | ack p50 | ack p99 | ack max | answer p50 | answer p99 | "
        "Cortex requests/command | answers | 429s from Cortex |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        got = run.load
        answered = bool(got.kinds)
        per_command = f"{run.cortex_requests / run.commands:.2f}" if answered else "-"
        print(
            f"| {run.label} | {percentiles(got.acks)} | {max(got.acks) * 1000:.0f} ms | "
            f"{percentiles(got.answers)} | {per_command} | {tally(got.kinds) or '-'} | "
            f"{run.rate_limited if answered else '-'} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--latency", type=float, default=0.3)
    arguments = parser.parse_args()
    results = asyncio.run(main(arguments.commands, arguments.concurrency, arguments.latency))
    report(results, arguments.concurrency, arguments.latency)
