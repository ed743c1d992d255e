"""Scheduled digests: posted at their slot, exactly once however many schedulers share the database
(SQLite and, with TEST_DATABASE_URL, PostgreSQL), across restarts, missed slots, Cortex and Slack
failures, a channel the bot was removed from, and token rotation. Posts are counted at the fake
Slack; time is an injected clock."""

from __future__ import annotations

import asyncio
import time as wall
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from slack_sdk.oauth.installation_store import Installation

from bot.app import slack_client
from bot.config import Settings
from bot.cortex import CORTEX_LIMITS
from bot.digests import Digest, DigestStore, NewDigest, Recurrence, Scope
from bot.digests.runner import CLAIM_TTL, MIN_LEAD, POST_TTL, RETRY_DELAY, DigestJob, lead_time
from bot.lanes import Lane
from bot.scheduler import Scheduler
from bot.services import Services, open_services
from bot.workspaces import NewKeys
from handlers.digests.blocks import MAX_REPLIES
from handlers.digests.job import digest_job
from tests.support.apis import FAST_RETRIES
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault
from tests.support.fakes.slack import FakeSlack
from tests.support.services import KEYRING
from tests.support.slack_harness import ADMIN, BOT_TOKEN, TEAM

START = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
SLOT = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DAILY_AT_NINE = Recurrence("daily", time(9, 0), "UTC")
ServerFactory = Callable[[web.Application], Awaitable[TestServer]]


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@asynccontextmanager
async def process(
    database_url: str, cortex: FakeCortex, slack_url: str, clock: Clock, **slack: Any
) -> AsyncIterator[Services]:
    """One bot process: its own HTTP session, cache (on the test's clock) and database engine."""
    settings = Settings(
        _env_file=None,
        cortex_api_url=cortex.base_url,
        slack_api_url=f"{slack_url}/api/",
        database_url=database_url,
        **(slack or {"slack_bot_token": BOT_TOKEN}),
    )
    async with open_services(
        settings, KEYRING, FAST_RETRIES, lambda: clock.now.timestamp()
    ) as services:
        yield services


@pytest.fixture
async def services(
    database_url: str, fake_cortex: FakeCortex, fake_slack: FakeSlack, clock: Clock
) -> AsyncIterator[Services]:
    async with process(database_url, fake_cortex, fake_slack.base_url, clock) as services:
        await services.workspaces.save(
            TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
        )
        fake_cortex.add_service("payments-api", "Payments API")
        yield services


async def schedule(
    services: Services,
    channel: str = "C0DIGEST",
    recurrence: Recurrence = DAILY_AT_NINE,
    now: datetime = START,
) -> Digest:
    new = NewDigest(TEAM, channel, Scope(), recurrence, created_by=ADMIN)
    return await DigestStore(services.engine).schedule(new, now, {"payments-api": False})


async def tick(scheduler: Scheduler) -> int:
    """One tick; waits for the work it started, and says how much that was."""
    started = await scheduler.tick()
    await asyncio.gather(*started)
    return len(started)


def posts(slack: FakeSlack) -> Counter[str]:
    """Digests posted, per channel (their summaries: the details are replies in their threads)."""
    return Counter(
        str(call.args["channel"])
        for call in slack.calls_to("chat.postMessage")
        if "digest" in str(call.args.get("text")) and "thread_ts" not in call.args
    )


async def current(services: Services, digest: Digest) -> Digest:
    found = await DigestStore(services.engine).get(TEAM, digest.id)
    assert found is not None
    return found


async def test_a_digest_is_posted_at_its_slot_and_the_next_covers_what_came_after(
    services: Services, clock: Clock, fake_slack: FakeSlack, fake_cortex: FakeCortex
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    fake_cortex.add_deploy("payments-api", "release 1", SLOT - timedelta(hours=2))

    clock.now = SLOT - MIN_LEAD - timedelta(seconds=1)
    assert await tick(scheduler) == 0
    clock.now = SLOT - timedelta(seconds=1)
    assert await tick(scheduler) == 1  # built ahead of its slot, posted when it comes (1 s later)
    clock.now = SLOT
    assert await tick(scheduler) == 0
    fake_cortex.add_deploy("payments-api", "release 2", SLOT + timedelta(hours=2))
    clock.now = SLOT + DAY
    assert await tick(scheduler) == 1

    first, first_thread, second, second_thread = fake_slack.calls_to("chat.postMessage")
    assert first.args["channel"] == "C0DIGEST"
    assert first.token == BOT_TOKEN
    assert fake_slack.messages[("C0DIGEST", first_thread.args["thread_ts"])] is first.args
    assert "release 1" in str(first_thread.args["blocks"])
    assert "release 2" in str(second_thread.args["blocks"])
    assert "release 1" not in str(second.args["blocks"]) + str(second_thread.args["blocks"])
    moved = await current(services, digest)
    assert (moved.next_due_at, moved.covered_until) == (SLOT + 2 * DAY, SLOT + DAY)


async def test_two_schedulers_sharing_the_database_post_each_of_many_slots_once(
    database_url: str,
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
) -> None:
    channels = [f"C{number:04d}" for number in range(24)]
    for channel in channels:
        await schedule(services, channel)

    async with process(database_url, fake_cortex, fake_slack.base_url, clock) as other:
        schedulers = [
            Scheduler([digest_job(each, slack_client, clock=clock)], clock=clock)
            for each in (services, other)
        ]
        for day in range(2):
            clock.now = SLOT + day * DAY
            while sum(await asyncio.gather(*(tick(scheduler) for scheduler in schedulers))):
                pass

    assert posts(fake_slack) == dict.fromkeys(channels, 2)


async def test_a_process_that_dies_before_posting_leaves_the_slot_to_another_once(
    database_url: str,
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
) -> None:
    await schedule(services)
    clock.now = SLOT
    dying = digest_job(services, slack_client, clock=clock)
    claimed = await dying.claim_due(
        clock.now, Scheduler([]).room()
    )  # ...and the process stops before running it

    async with process(database_url, fake_cortex, fake_slack.base_url, clock) as restarted:
        scheduler = Scheduler([digest_job(restarted, slack_client, clock=clock)], clock=clock)
        assert await tick(scheduler) == 0  # the claim is still live
        clock.now = SLOT + CLAIM_TTL
        assert await tick(scheduler) == 1
        await claimed[0].run()  # had it been merely slow, its claim is gone: it posts nothing

    assert len(claimed) == 1
    assert posts(fake_slack) == {"C0DIGEST": 1}


async def test_a_process_that_dies_while_posting_never_posts_the_slot_twice(
    services: Services, clock: Clock, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    digest = await schedule(services)
    clock.now = SLOT
    store = DigestStore(services.engine)
    claim = await store.claim(digest, SLOT, "the-dying-process", SLOT + CLAIM_TTL, SLOT)
    assert claim is not None
    assert await store.start_posting(claim, SLOT, SLOT + POST_TTL)  # ...and the process stops

    clock.now = SLOT + POST_TTL
    assert (
        await tick(Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)) == 0
    )

    assert posts(fake_slack) == {}
    assert "stopped mid-post" in caplog.text
    assert (await current(services, digest)).next_due_at == SLOT + DAY


async def test_a_slot_missed_while_everything_was_down_is_posted_once_within_the_grace_period(
    services: Services, clock: Clock, fake_slack: FakeSlack
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)

    clock.now = SLOT + timedelta(hours=1, minutes=50)
    assert await tick(scheduler) == 1
    assert await tick(scheduler) == 0

    assert posts(fake_slack) == {"C0DIGEST": 1}
    assert (await current(services, digest)).next_due_at == SLOT + DAY


async def test_a_slot_missed_beyond_the_grace_period_is_skipped_with_a_log_line(
    services: Services, clock: Clock, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)

    clock.now = SLOT + timedelta(hours=2, minutes=1)
    assert await tick(scheduler) == 0

    assert posts(fake_slack) == {}
    assert "more than the grace period" in caplog.text
    assert (await current(services, digest)).next_due_at == SLOT + DAY


async def test_after_days_down_only_the_latest_slot_is_posted_once(
    services: Services, clock: Clock, fake_slack: FakeSlack
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)

    clock.now = SLOT + 3 * DAY + timedelta(minutes=30)
    assert await tick(scheduler) == 1
    assert await tick(scheduler) == 0

    assert posts(fake_slack) == {"C0DIGEST": 1}
    assert (await current(services, digest)).next_due_at == SLOT + 4 * DAY


async def test_when_cortex_fails_the_slot_is_retried_later_by_whichever_process_comes(
    database_url: str,
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
) -> None:
    await schedule(services)
    fake_cortex.faults += [Fault(status=503, path_contains="/api/v1/catalog") for _ in range(3)]
    clock.now = SLOT
    assert (
        await tick(Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)) == 1
    )
    assert posts(fake_slack) == {}

    async with process(database_url, fake_cortex, fake_slack.base_url, clock) as other:
        scheduler = Scheduler([digest_job(other, slack_client, clock=clock)], clock=clock)
        assert await tick(scheduler) == 0
        clock.now = SLOT + RETRY_DELAY
        assert await tick(scheduler) == 1

    assert posts(fake_slack) == {"C0DIGEST": 1}


async def posted_and_not_again(scheduler: Scheduler, clock: Clock) -> None:
    """The slot is posted, and its retry finds nothing left to post: whatever failed after the
    summary went out, the digest counts as posted."""
    clock.now = SLOT
    assert await tick(scheduler) == 1
    clock.now = SLOT + RETRY_DELAY
    assert await tick(scheduler) == 0


async def test_a_refused_thread_reply_is_logged_and_the_digest_is_not_posted_again(
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    fake_cortex.add_deploy("payments-api", "release 1", SLOT - timedelta(hours=2))
    fake_slack.refused_replies = "ratelimited"

    await posted_and_not_again(scheduler, clock)

    summary, reply = fake_slack.calls_to("chat.postMessage")
    assert "thread_ts" not in summary.args
    assert reply.args["thread_ts"]
    assert "the details of a digest in C0DIGEST were refused: ratelimited" in caplog.text
    assert (await current(services, digest)).covered_until == SLOT


def seed_busy_services(cortex: FakeCortex, count: int = 60, deploys: int = 3) -> None:
    """So many services, each with so many deploys: their details need several thread replies."""
    for number in range(count):
        tag = f"svc-{number:02d}"
        cortex.add_service(tag, f"Service {number:02d}")
        for deploy in range(deploys):
            when = SLOT - timedelta(minutes=number * deploys + deploy + 1)
            environment = "production" if deploy == 0 else "staging"
            title = f"release 1.{deploy}.{number} with the retry fix for card payments"
            cortex.add_deploy(tag, title, when, environment=environment)


async def test_a_busy_digest_posts_every_service_over_several_replies_slack_takes(
    services: Services, clock: Clock, fake_slack: FakeSlack, fake_cortex: FakeCortex
) -> None:
    await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    seed_busy_services(fake_cortex)

    clock.now = SLOT
    assert await tick(scheduler) == 1

    _summary, *replies = fake_slack.calls_to("chat.postMessage")
    assert 1 < len(replies) <= MAX_REPLIES
    posted = fake_slack.messages_of("C0DIGEST")
    assert len(posted) == 1 + len(replies)  # Slack took every reply
    details = "".join(str(reply.args["blocks"]) for reply in replies)
    assert all(f"`svc-{number:02d}`" in details for number in range(60))
    assert "file below" not in details
    assert fake_slack.calls_to("files.getUploadURLExternal") == []  # the replies hold it all


async def test_a_digest_too_busy_for_its_replies_shares_every_detail_in_a_file_after_them(
    services: Services, clock: Clock, fake_slack: FakeSlack, fake_cortex: FakeCortex
) -> None:
    await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    seed_busy_services(fake_cortex, count=40, deploys=10)

    clock.now = SLOT
    assert await tick(scheduler) == 1

    _summary, *replies = fake_slack.calls_to("chat.postMessage")
    assert len(replies) == MAX_REPLIES
    assert "more services: every one is in the file below" in str(replies[-1].args["blocks"])
    assert fake_slack.calls[-1].method == "files.completeUploadExternal"  # after the replies
    (file,) = fake_slack.files.values()
    assert (file["channel"], file["thread_ts"]) == ("C0DIGEST", replies[0].args["thread_ts"])
    text = file["content"].decode()
    services_with_activity = [line for line in text.split("\n") if line.startswith("Service ")]
    assert services_with_activity == [
        f"Service {number:02d} (svc-{number:02d}): 10 deploys" for number in range(40)
    ]


async def test_a_refused_file_is_logged_and_the_digest_counts_as_posted(
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    seed_busy_services(fake_cortex, count=40, deploys=10)
    fake_slack.failures["files.getUploadURLExternal"] = "missing_scope"

    await posted_and_not_again(scheduler, clock)

    assert posts(fake_slack) == {"C0DIGEST": 1}
    assert len(fake_slack.calls_to("files.getUploadURLExternal")) == 1
    assert fake_slack.files == {}
    assert "the file with every detail of a digest in C0DIGEST was refused: missing_scope" in (
        caplog.text
    )
    assert (await current(services, digest)).covered_until == SLOT


async def test_a_reply_lost_on_the_network_is_logged_and_the_digest_counts_as_posted(
    services: Services,
    clock: Clock,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
    caplog: pytest.LogCaptureFixture,
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    seed_busy_services(fake_cortex)
    fake_slack.dropped_reply = 2

    await posted_and_not_again(scheduler, clock)

    summary, *replies = fake_slack.calls_to("chat.postMessage")
    assert "thread_ts" not in summary.args
    assert len(replies) == 2  # the third was not tried
    assert len(fake_slack.messages_of("C0DIGEST")) == 2  # the summary and the first reply
    assert "reply 2 of a digest in C0DIGEST was not sent" in caplog.text
    assert (await current(services, digest)).covered_until == SLOT


async def test_when_slack_does_not_post_the_slot_is_retried(
    services: Services, clock: Clock, fake_slack: FakeSlack
) -> None:
    await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    fake_slack.failures["chat.postMessage"] = "internal_error"

    clock.now = SLOT
    assert await tick(scheduler) == 1
    clock.now = SLOT + RETRY_DELAY
    assert await tick(scheduler) == 1

    assert posts(fake_slack) == {"C0DIGEST": 2}  # the refused attempt, then the post
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
async def test_a_channel_the_bot_was_removed_from_turns_the_digest_off_and_its_creator_is_told(
    services: Services, clock: Clock, fake_slack: FakeSlack, error: str
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    fake_slack.failures["chat.postMessage"] = error

    clock.now = SLOT
    assert await tick(scheduler) == 1
    clock.now = SLOT + DAY
    assert await tick(scheduler) == 0

    refused, told = fake_slack.calls_to("chat.postMessage")
    assert refused.args["channel"] == "C0DIGEST"
    assert told.args["channel"] == ADMIN
    assert error not in told.args["text"]  # what it means, not Slack's code
    assert "turned it off" in told.args["text"]
    assert (await current(services, digest)).disabled_reason == error


async def test_scheduling_the_same_scope_again_replaces_the_digest_and_turns_it_back_on(
    services: Services, clock: Clock, fake_slack: FakeSlack
) -> None:
    digest = await schedule(services)
    scheduler = Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock)
    fake_slack.failures["chat.postMessage"] = "not_in_channel"
    clock.now = SLOT
    await tick(scheduler)

    weekly = Recurrence("weekly", time(10, 0), "UTC", weekday=4)
    again = await schedule(services, recurrence=weekly)

    assert again.id == digest.id
    assert again.disabled_reason is None
    assert again.recurrence == weekly
    assert again.next_due_at == datetime(2026, 1, 16, 10, 0, tzinfo=UTC)
    assert len(await DigestStore(services.engine).for_workspace(TEAM)) == 1


async def test_a_digest_rescheduled_while_its_slot_is_posted_keeps_its_new_schedule(
    services: Services, clock: Clock, fake_slack: FakeSlack
) -> None:
    digest = await schedule(services)
    clock.now = SLOT
    [work] = await digest_job(services, slack_client, clock=clock).claim_due(
        SLOT, Scheduler([]).room()
    )

    at_ten = Recurrence("daily", time(10, 0), "UTC")
    await schedule(services, recurrence=at_ten, now=SLOT + timedelta(seconds=1))
    await work.run()

    assert posts(fake_slack) == {"C0DIGEST": 1}
    assert (await current(services, digest)).next_due_at == SLOT + timedelta(hours=1)


def test_the_grace_period_must_be_shorter_than_a_day(services: Services) -> None:
    async def never(*_: Any) -> Any:
        raise AssertionError

    with pytest.raises(ValueError, match="grace period"):
        DigestJob(services, never, grace=DAY)


# --- token rotation (OAuth mode) ---------------------------------------------------------------


class SlackStub:
    """Just enough of Slack for rotation: oauth.v2.access (refresh) and chat.postMessage."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], str]] = []
        self.refuse_refresh = False

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        sent = await request.json() if request.content_type == "application/json" else None
        form = {key: str(value) for key, value in (sent or await request.post()).items()}
        self.calls.append((method, form, request.headers.get("Authorization", "")))
        if method == "oauth.v2.access" and self.refuse_refresh:
            return web.json_response({"ok": False, "error": "invalid_refresh_token"})
        if method == "oauth.v2.access":
            return web.json_response(
                {
                    "ok": True,
                    "token_type": "bot",
                    "access_token": "xoxe.xoxb-new-token",
                    "refresh_token": "xoxe-1-new-refresh",
                    "expires_in": 43200,
                }
            )
        return web.json_response({"ok": True, "channel": form.get("channel"), "ts": "1.000100"})


@pytest.fixture
async def slack_stub(aiohttp_server: ServerFactory) -> tuple[SlackStub, str]:
    stub = SlackStub()
    app = web.Application()
    app.router.add_post("/api/{method}", stub.handle)
    server = await aiohttp_server(app)
    return stub, str(server.make_url("")).rstrip("/")


def installation(expires_in: int) -> Installation:
    return Installation(
        app_id="A0CORTEX",
        enterprise_id=None,
        team_id=TEAM,
        bot_token="xoxe.xoxb-old-token",
        bot_refresh_token="xoxe-1-old-refresh",
        bot_token_expires_at=int(wall.time()) + expires_in,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_id=ADMIN,
        installed_at=wall.time(),
    )


@pytest.mark.parametrize(
    ("expires_in", "used"),
    [(60, "xoxe.xoxb-new-token"), (DAY.total_seconds(), "xoxe.xoxb-old-token")],
)
async def test_in_oauth_mode_a_token_about_to_expire_is_refreshed_and_saved_before_posting(
    database_url: str,
    clock: Clock,
    fake_cortex: FakeCortex,
    slack_stub: tuple[SlackStub, str],
    expires_in: int,
    used: str,
) -> None:
    stub, url = slack_stub
    oauth = {"slack_client_id": "111.222", "slack_client_secret": "oauth-client-secret"}
    async with process(database_url, fake_cortex, url, clock, **oauth) as services:
        assert services.installations is not None
        await services.installations.async_save(installation(int(expires_in)))
        await services.workspaces.save(TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), ADMIN)
        fake_cortex.add_service("payments-api")
        await schedule(services)
        clock.now = SLOT
        assert (
            await tick(Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock))
            == 1
        )
        saved = await services.installations.async_find_bot(enterprise_id=None, team_id=TEAM)

    methods = [method for method, _, _ in stub.calls]
    posted = stub.calls[-1]
    assert (posted[0], posted[1]["channel"], posted[2]) == (
        "chat.postMessage",
        "C0DIGEST",
        f"Bearer {used}",
    )
    assert saved is not None
    assert saved.bot_token == used
    if used == "xoxe.xoxb-new-token":
        assert methods == ["oauth.v2.access", "chat.postMessage"]
        refresh = stub.calls[0][1]
        assert (refresh["grant_type"], refresh["refresh_token"]) == (
            "refresh_token",
            "xoxe-1-old-refresh",
        )
        assert saved.bot_refresh_token == "xoxe-1-new-refresh"
    else:
        assert methods == ["chat.postMessage"]


async def test_in_oauth_mode_a_workspace_without_an_installation_turns_its_digest_off(
    database_url: str, clock: Clock, fake_cortex: FakeCortex, slack_stub: tuple[SlackStub, str]
) -> None:
    stub, url = slack_stub
    oauth = {"slack_client_id": "111.222", "slack_client_secret": "oauth-client-secret"}
    async with process(database_url, fake_cortex, url, clock, **oauth) as services:
        await services.workspaces.save(TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), ADMIN)
        fake_cortex.add_service("payments-api")
        digest = await schedule(services)
        clock.now = SLOT
        assert (
            await tick(Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock))
            == 1
        )
        assert (await current(services, digest)).disabled_reason == "app_not_installed"

    assert stub.calls == []


async def test_in_oauth_mode_a_refused_refresh_leaves_the_slot_to_a_later_try(
    database_url: str,
    clock: Clock,
    fake_cortex: FakeCortex,
    slack_stub: tuple[SlackStub, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stub, url = slack_stub
    stub.refuse_refresh = True
    oauth = {"slack_client_id": "111.222", "slack_client_secret": "oauth-client-secret"}
    async with process(database_url, fake_cortex, url, clock, **oauth) as services:
        assert services.installations is not None
        await services.installations.async_save(installation(60))
        await services.workspaces.save(TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, None), ADMIN)
        fake_cortex.add_service("payments-api")
        digest = await schedule(services)
        clock.now = SLOT
        assert (
            await tick(Scheduler([digest_job(services, slack_client, clock=clock)], clock=clock))
            == 1
        )
        assert (await current(services, digest)).next_due_at == SLOT

    assert [method for method, _, _ in stub.calls] == ["oauth.v2.access"]
    assert "token refresh refused: invalid_refresh_token" in caplog.text
    assert "oauth-client-secret" not in caplog.text
    assert "xoxe-1-old-refresh" not in caplog.text


def test_a_digest_starts_early_enough_for_its_size() -> None:
    small, large = lead_time(10, CORTEX_LIMITS), lead_time(5000, CORTEX_LIMITS)
    reads_per_minute = CORTEX_LIMITS.limit_for(Lane.BACKGROUND)

    assert MIN_LEAD <= small < timedelta(minutes=2)
    # 10,000 reads at the background share of the budget take more than 12 minutes.
    assert large >= timedelta(minutes=10_000 / reads_per_minute)
