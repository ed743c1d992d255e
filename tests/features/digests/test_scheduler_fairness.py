"""The scheduler is fair between workspaces: 16 slow digests of one workspace take a few of its
slots, never all, so another workspace's digest is posted at its slot; one digest per channel runs
at a time. Workspace A's Cortex never answers; B's answers at once; posts are counted at the fake
Slack (SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, time

import pytest

from bot.app import slack_client
from bot.config import Settings
from bot.digests import DigestStore, NewDigest, Recurrence, Scope
from bot.http import RetryPolicy
from bot.scheduler import PER_WORKSPACE, DueWork, Room, Scheduler
from bot.services import Services, open_services
from bot.workspaces import NewKeys
from handlers.digests.job import digest_job
from tests.support.apis import ServerFactory
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.slack import FakeSlack
from tests.support.services import KEYRING
from tests.support.slack_harness import ADMIN, BOT_TOKEN, eventually

SLOW, QUICK = "T0SLOW", "T0QUICK"
KEY_OF_SLOW = "cortex-key-of-the-slow-workspace-0123"
CREATED = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
SLOT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
DAILY_AT_NINE = Recurrence("daily", time(9, 0), "UTC")
# Slow Cortex answers hold a digest for the whole test, not for the usual 8 s.
PATIENT = RetryPolicy(attempts=1, request_timeout=60.0, deadline=60.0)


@pytest.fixture
async def services(
    database_url: str,
    fake_cortex: FakeCortex,
    fake_slack: FakeSlack,
    aiohttp_server: ServerFactory,
) -> AsyncIterator[Services]:
    hanging = FakeCortex(api_keys={KEY_OF_SLOW})
    hanging_url = str((await aiohttp_server(hanging.app())).make_url("")).rstrip("/")
    hanging.hang()
    settings = Settings(
        _env_file=None,
        cortex_api_url=fake_cortex.base_url,
        slack_api_url=f"{fake_slack.base_url}/api/",
        database_url=database_url,
        slack_bot_token=BOT_TOKEN,
        allow_private_cortex_urls=True,  # the slow workspace's own Cortex is on 127.0.0.1
    )
    fake_cortex.add_service("payments-api", "Payments API")
    async with open_services(settings, KEYRING, PATIENT) as opened:
        await opened.workspaces.save(SLOW, NewKeys(hanging_url, KEY_OF_SLOW, None), ADMIN)
        await opened.workspaces.save(QUICK, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), ADMIN)
        yield opened
    hanging.answer_again()


async def schedule(services: Services, team_id: str, channel: str, group: str = "") -> None:
    new = NewDigest(team_id, channel, Scope(group=group or None), DAILY_AT_NINE, ADMIN)
    await DigestStore(services.engine).schedule(new, CREATED, {})


def at_slot() -> datetime:
    return SLOT


def posted(slack: FakeSlack) -> Counter[str]:
    """Digests posted per channel: their summaries (the details are replies in their threads)."""
    return Counter(
        str(call.args["channel"])
        for call in slack.calls_to("chat.postMessage")
        if "thread_ts" not in call.args
    )


async def test_sixteen_slow_digests_of_one_workspace_never_delay_anothers(
    services: Services, fake_slack: FakeSlack
) -> None:
    for number in range(16):
        await schedule(services, SLOW, f"C0SLOW{number:02d}")
    await schedule(services, QUICK, "C0QUICK")
    scheduler = Scheduler([digest_job(services, slack_client, clock=at_slot)], clock=at_slot)

    started = await scheduler.tick()
    room = await eventually(
        lambda: asyncio.sleep(0, scheduler.room()),
        lambda room: QUICK not in room.running_teams,
        "the quick digest to be done",
    )
    again = await scheduler.tick()  # the slow workspace is full: nothing more of it starts

    assert len(started) == PER_WORKSPACE + 1
    assert posted(fake_slack) == Counter({"C0QUICK": 1})
    assert room.running_teams == Counter({SLOW: PER_WORKSPACE})
    assert again == []
    await scheduler.stop()


async def test_one_digest_per_channel_runs_at_a_time(
    services: Services, fake_slack: FakeSlack
) -> None:
    for group in ("payments", "search", "checkout"):
        await schedule(services, SLOW, "C0SHARED", group=group)
    await schedule(services, SLOW, "C0OTHER")
    scheduler = Scheduler([digest_job(services, slack_client, clock=at_slot)], clock=at_slot)

    started = await scheduler.tick()
    channels = scheduler.room().running_channels

    assert len(started) == 2
    assert channels == {(SLOW, "C0SHARED"), (SLOW, "C0OTHER")}
    await scheduler.stop()


class Queue:
    """A job kind whose due work is a queue of one workspace's items (no database)."""

    kind = "queue"

    def __init__(self, items: int) -> None:
        self.waiting = items
        self.done = 0

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        due = room.take(range(self.waiting), team_of=lambda _: SLOW)
        self.waiting -= len(due)
        return [DueWork("queued", self.run, team_id=SLOW) for _ in due]

    async def run(self) -> None:
        self.done += 1


async def test_a_workspaces_queued_work_runs_back_to_back_not_a_tick_apart() -> None:
    queue = Queue(items=3)
    scheduler = Scheduler([queue], clock=at_slot, tick_seconds=3600.0, per_workspace=1)

    scheduler.start()
    await eventually(lambda: asyncio.sleep(0, queue.done), lambda done: done == 3, "the queue")
    await scheduler.stop()
