"""The real process end to end: `cortex-bot serve` as the Procfile runs it, driven only over HTTP.

The fakes run in the test; the bot runs as one or two child processes pointed at them. On
PostgreSQL two processes share the database and nothing else.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.crypto import Keyring, new_key
from bot.digests.schedule import recurrence_for
from bot.digests.store import DigestStore, NewDigest, Scope
from bot.storage import create_engine
from bot.workspaces import NewKeys, WorkspaceStore
from handlers.common import ids
from tests.support.databases import POSTGRES_URL, migrate_in_thread, reset_postgres
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly
from tests.support.fakes.slack import FakeSlack
from tests.support.processes import cortex_bot_command, free_port, health_status
from tests.support.redis_support import own_redis_server
from tests.support.services import services_written
from tests.support.slack_harness import (
    ADMIN,
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    RemoteApp,
    SlackRequests,
)

SECRETS = (CORTEX_KEY, ROOTLY_KEY, BOT_TOKEN, SIGNING_SECRET)
DIGEST_CHANNEL = "C0DIGEST"


@dataclass
class BotProcess:
    base_url: str
    process: asyncio.subprocess.Process
    log_lines: list[str] = field(default_factory=list)


def bot_env(
    slack: FakeSlack, cortex: FakeCortex, rootly: FakeRootly, database_url: str, key: str
) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": f"{slack.base_url}/api/",
        "CORTEX_API_URL": cortex.base_url,
        "ROOTLY_API_URL": rootly.base_url,
        "DATABASE_URL": database_url,
        "ENCRYPTION_KEYS": key,
        "LOG_FORMAT": "json",
    }


async def _collect(stream: asyncio.StreamReader, lines: list[str]) -> None:
    async for line in stream:
        lines.append(line.decode())


@asynccontextmanager
async def bot_process(env: dict[str, str], cwd: Path) -> AsyncIterator[BotProcess]:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *cortex_bot_command(),
        "serve",
        env={**os.environ, **env, "PORT": str(port)},
        cwd=cwd,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    bot = BotProcess(f"http://127.0.0.1:{port}", process)
    reader = asyncio.ensure_future(_collect(process.stderr, bot.log_lines))
    try:
        if await health_status(bot.base_url) != 200:
            raise AssertionError("the bot did not start:\n" + "".join(bot.log_lines[-20:]))
        yield bot
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)
        await reader
    assert process.returncode == 0, "".join(bot.log_lines[-20:])
    logs = "".join(bot.log_lines)
    for secret in SECRETS:
        assert secret not in logs


@asynccontextmanager
async def slack_to(bot: BotProcess, slack: FakeSlack) -> AsyncIterator[SlackRequests]:
    async with aiohttp.ClientSession() as session:
        yield SlackRequests(http=RemoteApp(bot.base_url, session), slack=slack)


async def schedule_a_digest_due_now(database_url: str, key: str, cortex: FakeCortex) -> None:
    """A connected workspace whose daily digest was due half an hour ago (within the grace)."""
    engine = create_engine(database_url)
    keyring = Keyring.from_encoded([key])
    await WorkspaceStore(engine, keyring).save(
        TEAM, NewKeys(cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    now = datetime.now(UTC)
    due = (now - timedelta(minutes=30)).time().replace(second=0, microsecond=0)
    recurrence = recurrence_for("daily", due, None, "UTC", now - timedelta(days=1))
    new = NewDigest(TEAM, DIGEST_CHANNEL, Scope(), recurrence, created_by=ADMIN)
    await DigestStore(engine).schedule(new, now - timedelta(days=1), snapshot={})
    await engine.dispose()


def digest_posts(slack: FakeSlack) -> list[Any]:
    """The digests posted (their summaries: the details are replies in their threads)."""
    return [
        call
        for call in slack.calls_to("chat.postMessage")
        if call.args.get("channel") == DIGEST_CHANNEL and "thread_ts" not in call.args
    ]


def seed(cortex: FakeCortex) -> None:
    cortex.add_service("payments-api", "Payments API", teams=("team-pay",))
    cortex.add_service("ledger", "Ledger", emails=("lea@example.com",))


async def modal_opened_by(requests: SlackRequests, text: str) -> dict[str, Any]:
    """Run a command that opens a modal, and return the modal once it has been filled in."""
    updates_before = len(requests.slack.calls_to("views.update"))
    await requests.command(text, user=ADMIN)
    update = await requests.slack.next_call("views.update", updates_before + 1)
    return requests.slack.views[update.args["view_id"]]


async def connect_through(requests: SlackRequests) -> None:
    form = await modal_opened_by(requests, "connect")
    values = {
        ids.CONNECT_CORTEX_KEY_BLOCK: {ids.CONNECT_CORTEX_KEY: CORTEX_KEY},
        ids.CONNECT_CORTEX_URL_BLOCK: {ids.CONNECT_CORTEX_URL: ""},
        ids.CONNECT_ROOTLY_KEY_BLOCK: {ids.CONNECT_ROOTLY_KEY: ROOTLY_KEY},
    }
    answer = await requests.submit(form, values)
    assert (await answer.json())["response_action"] == "update"


async def answer_to(requests: SlackRequests, text: str) -> dict[str, Any]:
    before = len(requests.slack.responses)
    response = await requests.command(text)
    assert response.status == 200
    return await requests.slack.next_response(before + 1)


def incident_submission(
    view: dict[str, Any], tags: list[str], actions: list[str]
) -> dict[str, Any]:
    state = {
        ids.INCIDENT_SERVICES_BLOCK: {
            ids.INCIDENT_SERVICES: {"selected_options": [{"value": tag} for tag in tags]}
        },
        ids.INCIDENT_ACTIONS_BLOCK: {
            ids.INCIDENT_ACTIONS: {"selected_options": [{"value": a} for a in actions]}
        },
    }
    return {
        "type": "view_submission",
        "team": {"id": "T0ALPHA"},
        "user": {"id": ADMIN, "team_id": "T0ALPHA"},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": state}},
    }


async def test_one_process_on_sqlite_serves_every_feature(
    fake_slack: FakeSlack, fake_cortex: FakeCortex, fake_rootly: FakeRootly, tmp_path: Path
) -> None:
    seed(fake_cortex)
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    env = bot_env(fake_slack, fake_cortex, fake_rootly, database_url, new_key())

    async with bot_process(env, tmp_path) as bot, slack_to(bot, fake_slack) as slack:
        await connect_through(slack)

        card = await answer_to(slack, "payments-api")
        assert "Payments API" in str(card["blocks"])

        await slack.command("deploy payments-api v1.0 env=prod")
        deployed = await fake_slack.next_call("chat.postMessage")
        assert "v1.0" in deployed.args["text"]

        await slack.command('event payments-api "Flag on" type=FEATURE_FLAG')
        await fake_slack.next_call("chat.postMessage", 2)

        await slack.command("sync")
        await fake_slack.wait_for(lambda: len(fake_rootly.services) == 2, "the sync")

        modal = await modal_opened_by(slack, "incident")
        actions = [ids.RECORD_INCIDENT_EVENTS, ids.POST_INCIDENT_SUMMARY]
        await slack.interact(incident_submission(modal, ["ledger"], actions))
        result = await fake_slack.next_call("chat.postEphemeral")
        assert "recorded an INCIDENT event on ledger" in result.args["text"]

        posts_before = len(fake_slack.calls_to("chat.postMessage"))
        await slack.command("digest now")
        summary = await fake_slack.next_call("chat.postMessage", posts_before + 1)
        details = await fake_slack.next_call("chat.postMessage", posts_before + 2)
        assert details.args["thread_ts"]
        assert "v1.0" in str(summary.args["blocks"]) + str(details.args["blocks"])

    deploys = fake_cortex.requests_to("/api/v1/catalog/payments-api/deploys", "POST")
    assert [request.body["title"] for request in deploys] == ["v1.0"]
    assert len(fake_cortex.requests_to("/api/v1/catalog/ledger/custom-events", "POST")) == 1
    assert CORTEX_KEY.encode() not in (tmp_path / "bot.db").read_bytes()


async def test_sigterm_lets_the_work_in_flight_finish(
    fake_slack: FakeSlack, fake_cortex: FakeCortex, fake_rootly: FakeRootly, tmp_path: Path
) -> None:
    seed(fake_cortex)
    fake_cortex.latency = 1.0
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    key = new_key()
    await migrate_in_thread(database_url)
    engine = create_engine(database_url)
    await WorkspaceStore(engine, Keyring.from_encoded([key])).save(
        TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    await engine.dispose()
    env = bot_env(fake_slack, fake_cortex, fake_rootly, database_url, key)

    async with bot_process(env, tmp_path) as bot, slack_to(bot, fake_slack) as slack:
        await slack.command("payments-api")
        await fake_slack.wait_for(lambda: fake_cortex.in_flight, "the card's Cortex calls")
        bot.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.process.wait(), timeout=30)

    [card] = fake_slack.responses
    assert "Payments API" in str(card["blocks"])


@pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")
async def test_two_processes_on_postgresql_share_only_the_database(
    fake_slack: FakeSlack, fake_cortex: FakeCortex, fake_rootly: FakeRootly, tmp_path: Path
) -> None:
    assert POSTGRES_URL is not None
    await reset_postgres(POSTGRES_URL)
    await migrate_in_thread(POSTGRES_URL)
    seed(fake_cortex)
    for number in range(30):
        fake_cortex.add_service(f"svc-{number:02d}")
    fake_rootly.latency = 0.05
    key = new_key()
    await schedule_a_digest_due_now(POSTGRES_URL, key, fake_cortex)
    env = bot_env(fake_slack, fake_cortex, fake_rootly, POSTGRES_URL, key)

    async with (
        bot_process(env, tmp_path) as first,
        bot_process(env, tmp_path) as second,
        slack_to(first, fake_slack) as via_first,
        slack_to(second, fake_slack) as via_second,
    ):
        await connect_through(via_first)
        card = await answer_to(via_second, "payments-api")
        assert "Payments API" in str(card["blocks"])

        await asyncio.gather(via_first.command("sync"), via_second.command("sync"))
        await fake_slack.wait_for(lambda: len(fake_rootly.services) == 32, "the sync")
        told = await fake_slack.wait_for(
            lambda: [r for r in fake_slack.responses if "already running" in r.get("text", "")],
            "the second trigger to be told",
        )
        await fake_slack.wait_for(lambda: digest_posts(fake_slack), "the due digest")
        # Both schedulers ticked when their process started; give the slower one time to post.
        await asyncio.sleep(1)

    assert len(digest_posts(fake_slack)) == 1

    assert len(told) == 1
    assert len(fake_rootly.services) == 32
    assert services_written(fake_rootly) == 32  # each service written once, by one process


@pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")
async def test_three_processes_with_redis_share_one_cortex_budget_and_cache(
    fake_slack: FakeSlack, fake_cortex: FakeCortex, fake_rootly: FakeRootly, tmp_path: Path
) -> None:
    """A burst through three processes never makes Cortex answer 429, a card fetched through one
    is a cache hit in the others, and stopping Redis mid-run fails no request."""
    assert POSTGRES_URL is not None
    await reset_postgres(POSTGRES_URL)
    await migrate_in_thread(POSTGRES_URL)
    tags = [f"svc-{number:02d}" for number in range(50)]
    for tag in tags:
        fake_cortex.add_service(tag, f"Service {tag}")
    # Cortex's limit scaled down in count, so that a burst of 100 cold cards goes past it.
    fake_cortex.rate_limit = (150, 60.0)
    key = new_key()
    await connect(POSTGRES_URL, key, fake_cortex)
    async with own_redis_server() as (redis_url, redis_server):
        env = bot_env(fake_slack, fake_cortex, fake_rootly, POSTGRES_URL, key)
        env |= {"REDIS_URL": redis_url, "CORTEX_RATE_LIMIT": "150", "CORTEX_RATE_PERIOD": "60"}
        async with (
            bot_process(env, tmp_path) as first,
            bot_process(env, tmp_path) as second,
            bot_process(env, tmp_path) as third,
            slack_to(first, fake_slack) as one,
            slack_to(second, fake_slack) as two,
            slack_to(third, fake_slack) as three,
        ):
            card = await answer_to(one, tags[0])
            again = await answer_to(two, tags[0])
            # The five reads of one card, made once, by the first process.
            assert fake_cortex.count("GET", f"/api/v1/catalog/{tags[0]}") == 5

            burst = [(one, two, three)[n % 3].command(tags[n % 50]) for n in range(1, 100)]
            answered = len(fake_slack.responses) + len(burst)
            await asyncio.gather(*burst)
            await fake_slack.wait_for(lambda: len(fake_slack.responses) >= answered, "answers")

            redis_server.terminate()
            await redis_server.wait()
            after = [await answer_to(via, tags[0]) for via in (one, two, three)]
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{first.base_url}/healthz") as health,
            ):
                assert (health.status, (await health.json())["redis"]) == (200, "unreachable")

    assert fake_cortex.rate_limited == 0
    assert all("Service svc-00" in str(answer["blocks"]) for answer in [card, again, *after])
    cards = [r for r in fake_slack.responses if "Service svc-" in str(r.get("blocks"))]
    busy = [r for r in fake_slack.responses if "budget is busy" in r.get("text", "")]
    assert len(cards) + len(busy) == len(fake_slack.responses)
    assert busy  # 100 cold cards need more than the 147 calls the window allows
    requests = [r for r in fake_cortex.received if r.path.startswith("/api/v1/catalog/svc-")]
    assert len(requests) <= 147


async def connect(database_url: str, key: str, cortex: FakeCortex) -> None:
    engine = create_engine(database_url)
    await WorkspaceStore(engine, Keyring.from_encoded([key])).save(
        TEAM, NewKeys(cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    await engine.dispose()
