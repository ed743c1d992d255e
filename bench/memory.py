"""Benchmark: resident memory of one `cortex-bot serve` after many workspaces have used it.

1,000 workspaces are installed (OAuth mode) and connected, each with its own Cortex key; each then
looks up 20 services. The process's resident memory (VmRSS) is read before and after: the caches
are bounded, so memory must level off rather than grow with the traffic.

    .venv/bin/python -m bench.memory [--workspaces 1000] [--lookups 20] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from slack_sdk.oauth.installation_store import Installation

from bench.load import process, serving
from bot.crypto import Keyring, new_key
from bot.installations import EncryptedInstallationStore
from bot.storage import create_engine, migrate
from bot.workspaces import NewKeys, WorkspaceStore
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port
from tests.support.slack_harness import SIGNING_SECRET, signature_headers

CLIENT_ID = "1111.2222"
SERVICES = 200


def team(number: int) -> str:
    return f"T{number:07d}"


async def seed(
    database_url: str, key: str, cortex: FakeCortex, slack: FakeSlack, teams: int
) -> None:
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    keyring = Keyring.from_encoded([key])
    installations = EncryptedInstallationStore(CLIENT_ID, engine, keyring)
    workspaces = WorkspaceStore(engine, keyring)
    for number in range(teams):
        token, cortex_key = f"xoxb-bench-{number}", f"cortex-bench-key-{number:06d}"
        slack.add_workspace(team(number), token)
        cortex.api_keys.add(cortex_key)
        await installations.async_save(
            Installation(
                app_id="A0BENCH",
                team_id=team(number),
                bot_token=token,
                bot_id=f"B{number}",
                bot_user_id="UBOT",
                bot_scopes="commands,chat:write",
                user_id="U0BENCH",
                installed_at=datetime.now(UTC).timestamp(),
            )
        )
        await workspaces.save(team(number), NewKeys(cortex.base_url, cortex_key, None), "U0BENCH")
    await engine.dispose()


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def lookups(base: str, slack: FakeSlack, teams: int, per_team: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, number: int) -> None:
        body = (
            f"team_id={team(number // per_team)}&user_id=U0BENCH&channel_id=C0BENCH"
            f"&command=%2Fcortex&text=svc-{number % SERVICES:03d}&trigger_id=t{number}"
            f"&response_url={slack.base_url}/response/{number}"
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        async with gate:
            headers |= signature_headers(body)
            async with session.post(f"{base}/slack/events", data=body, headers=headers) as answer:
                assert answer.status == 200

    expected = len(slack.responses) + teams * per_team
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(one(session, number) for number in range(teams * per_team)))
    await slack.wait_for(lambda: len(slack.responses) >= expected, "every answer", 600)


async def main(teams: int, per_team: int, concurrency: int) -> None:
    slack, cortex = FakeSlack(), FakeCortex(check_contract=False)
    for number in range(SERVICES):
        cortex.add_service(f"svc-{number:03d}", f"Service {number:03d}")
    async with serving(slack.app()) as slack_url, serving(cortex.app()) as cortex_url:
        slack.base_url, cortex.base_url = slack_url, cortex_url
        with tempfile.TemporaryDirectory() as folder:
            key = new_key()
            database_url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await seed(database_url, key, cortex, slack, teams)
            port = free_port()
            env = {
                "PORT": str(port),
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": "bench-secret",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": f"{slack_url}/api/",
                "CORTEX_API_URL": cortex_url,
                "DATABASE_URL": database_url,
                "ENCRYPTION_KEYS": key,
            }
            async with process([*cortex_bot_command(), "serve"], env, port) as bot:
                before = resident_kib(bot.pid)
                started = time.perf_counter()
                await lookups(bot.base_url, slack, teams // 2, per_team, concurrency)
                halfway = resident_kib(bot.pid)
                await lookups(bot.base_url, slack, teams, per_team, concurrency)
                after = resident_kib(bot.pid)
                seconds = time.perf_counter() - started
    print(
        f"{teams} workspaces x {per_team} lookups over {SERVICES} services "
        f"({concurrency} at a time), one process"
    )
    print("| moment | resident memory |")
    print("|---|---|")
    print(f"| after start-up | {before / 1024:.0f} MiB |")
    first_wave, both_waves = teams // 2 * per_team, (teams + teams // 2) * per_team
    print(f"| after {first_wave} lookups ({teams // 2} workspaces) | {halfway / 1024:.0f} MiB |")
    print(f"| after {both_waves} lookups ({teams} workspaces) | {after / 1024:.0f} MiB |")
    print(f"({seconds:.0f} s of lookups; {len(cortex.received)} Cortex requests)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.workspaces, arguments.lookups, arguments.concurrency))
