"""Cortex's request budget against the fake Cortex enforcing the same limit: used in full,
interactive first, busy said early, Cortex's Retry-After followed.

The limit is Cortex's 1000 requests, over a period shortened from 60 s so that the tests take
seconds: the counts, lanes and reserve are the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.budget import BudgetLimits, Ledger, LocalLedger, RequestBudget, Take
from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CORTEX_LIMITS, CortexClient, cortex_api, cortex_budget
from bot.digests import Scope, Window
from bot.digests.content import build_content
from bot.egress import Egress
from bot.errors import BudgetBusyError, NotFoundError
from bot.http import RetryPolicy
from bot.lanes import Lane, background, current_lane
from bot.shared import RedisLedger, SharedRedis
from bot.snapshot import take_snapshot
from bot.storage import create_engine
from bot.sync.runs import SyncRuns
from tests.support.databases import migrate_in_thread
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault
from tests.support.redis_support import REDIS_URL, needs_redis, unique_key

# Short enough for a test to see windows pass; tests that must not see one pass use a long one.
PERIOD = 4.0
LONG_PERIOD = 60.0
# A person's deadline, as in production: 8 s, of which the last second is kept for Cortex.
CARD_POLICY = RetryPolicy(attempts=3, request_timeout=5.0, deadline=8.0, backoff_base=0.01)


@pytest.fixture
def period(request: pytest.FixtureRequest) -> float:
    return float(getattr(request, "param", PERIOD))


@pytest.fixture
def limits(period: float) -> BudgetLimits:
    return BudgetLimits(requests=CORTEX_LIMITS.requests, period=period)


@pytest.fixture(params=["local", pytest.param("redis", marks=needs_redis)])
async def ledger(request: pytest.FixtureRequest, limits: BudgetLimits) -> AsyncIterator[Ledger]:
    """Each test runs on the ledger of one process, and on the one processes share in Redis."""
    if request.param == "local":
        yield LocalLedger(limits.period)
        return
    shared = SharedRedis(REDIS_URL or "")
    yield RedisLedger(shared, limits.period)
    await shared.aclose()


@pytest.fixture
def budget(limits: BudgetLimits, ledger: Ledger) -> RequestBudget:
    return cortex_budget(limits, ledger)


@pytest.fixture
def api_key(fake_cortex: FakeCortex) -> str:
    key = unique_key()
    fake_cortex.api_keys.add(key)
    return key


@pytest.fixture
def limited_cortex(fake_cortex: FakeCortex, limits: BudgetLimits) -> FakeCortex:
    fake_cortex.rate_limit = (limits.requests, limits.period)
    return fake_cortex


@pytest.fixture
def loaded_cortex(limited_cortex: FakeCortex) -> FakeCortex:
    """For thousands of requests: the shapes are checked by every other test, and checking them
    here would make the fake, not the bot, the bottleneck."""
    limited_cortex.check_contract = False
    return limited_cortex


@pytest.fixture
def scaled_catalog(
    egress: Egress,
    budget: RequestBudget,
    limited_cortex: FakeCortex,
    api_key: str,
) -> Catalog:
    return _catalog(egress, budget, limited_cortex, api_key)


def _catalog(egress: Egress, budget: RequestBudget, cortex: FakeCortex, api_key: str) -> Catalog:
    api = cortex_api(egress, CARD_POLICY, budget=budget)
    client = CortexClient(api, cortex.base_url, api_key, "T-ALPHA")
    return Catalog(client, ResponseCache(), "T-ALPHA")


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[SyncRuns]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'runs.db'}"
    await migrate_in_thread(url)
    engine = create_engine(url)
    yield SyncRuns(engine)
    await engine.dispose()


def seed(cortex: FakeCortex, services: int) -> list[str]:
    tags = [f"svc-{number:04d}" for number in range(services)]
    for tag in tags:
        cortex.add_service(tag)
    cortex.add_deploy(tags[0], "release 1", datetime.now(UTC))
    return tags


def test_the_budget_is_cortexs_whole_limit_less_a_margin_and_keeps_a_reserve() -> None:
    assert CORTEX_LIMITS.requests == 1000
    assert CORTEX_LIMITS.period == 60.0
    assert 950 <= CORTEX_LIMITS.usable < 1000
    # 20 cards asked at once (5 calls each) fit in what background work must leave.
    assert CORTEX_LIMITS.usable - CORTEX_LIMITS.limit_for(Lane.BACKGROUND) >= 20 * 5


async def test_work_is_interactive_unless_said_otherwise_and_tasks_inherit_the_lane() -> None:
    seen: list[Lane] = []

    async def note_lane() -> None:
        seen.append(current_lane())

    with background():
        await asyncio.ensure_future(note_lane())
    await asyncio.ensure_future(note_lane())

    assert seen == [Lane.BACKGROUND, Lane.INTERACTIVE]


async def test_a_burst_uses_the_whole_window_without_a_429(
    scaled_catalog: Catalog, loaded_cortex: FakeCortex, limits: BudgetLimits
) -> None:
    tags = seed(loaded_cortex, 1100)

    entities = await asyncio.gather(*(scaled_catalog.entity(tag) for tag in tags))

    assert len(entities) == 1100
    assert loaded_cortex.rate_limited == 0
    first = loaded_cortex.received[0].at
    in_first_window = [r for r in loaded_cortex.received if r.at < first + PERIOD]
    assert len(in_first_window) == limits.usable  # all of it at once, not half


async def test_a_digest_and_twenty_cards_at_once_every_card_whole_and_first(
    scaled_catalog: Catalog, loaded_cortex: FakeCortex, runs: SyncRuns, limits: BudgetLimits
) -> None:
    """1,000 services (2,000 reads, two windows' worth) while 20 people ask for cards."""
    tags = seed(loaded_cortex, 1000)
    await scaled_catalog.services_with_archived()
    window = Window(datetime(2026, 1, 1, tzinfo=UTC), datetime.now(UTC))

    async def digest() -> None:
        with background():
            content = await build_content(scaled_catalog, runs, Scope(), window, None)
        assert content.in_scope == 1000
        assert content.unreadable == ()
        assert content.deploys == 1

    building = asyncio.ensure_future(digest())
    # Ask once the digest has used its share of the first window and waits for the next.
    await _until(lambda: len(loaded_cortex.received) >= limits.limit_for(Lane.BACKGROUND))
    cards_asked = len(loaded_cortex.received)
    cards = await asyncio.gather(*(take_snapshot(scaled_catalog, tag) for tag in tags[-20:]))
    cards_done = len(loaded_cortex.received)
    await building

    assert [card.problems for card in cards] == [{}] * 20
    assert cards_done - cards_asked == 20 * 5  # no card waited for a digest read
    assert loaded_cortex.rate_limited == 0


@pytest.mark.parametrize("period", [LONG_PERIOD], indirect=True)
async def test_a_card_the_budget_cannot_serve_in_time_is_busy_at_once(
    scaled_catalog: Catalog, loaded_cortex: FakeCortex, limits: BudgetLimits
) -> None:
    tags = seed(loaded_cortex, limits.usable + 1)
    await asyncio.gather(*(scaled_catalog.entity(tag) for tag in tags[:-1]))
    sent = len(loaded_cortex.received)

    with pytest.raises(BudgetBusyError) as caught:
        await scaled_catalog.entity(tags[-1])

    assert len(loaded_cortex.received) == sent  # Cortex was never asked
    assert 8 < caught.value.retry_in <= LONG_PERIOD + 1
    assert caught.value.detail == (
        f"this workspace's Cortex budget is busy; try again in {caught.value.retry_in} s"
    )


@pytest.mark.parametrize("period", [LONG_PERIOD], indirect=True)
async def test_a_busy_part_of_a_card_is_noted_and_cached_parts_still_shown(
    scaled_catalog: Catalog, loaded_cortex: FakeCortex, limits: BudgetLimits
) -> None:
    seed(loaded_cortex, 2)
    await scaled_catalog.entity("svc-0001")
    filler = [f"x-{number}" for number in range(limits.usable - 1)]
    gate = asyncio.Semaphore(50)  # the burst is not what is tested: keep the loop responsive

    async def fill(tag: str) -> None:
        async with gate:
            with contextlib.suppress(NotFoundError):
                await scaled_catalog.deploys(tag)

    await asyncio.gather(*(fill(tag) for tag in filler))

    card = await take_snapshot(scaled_catalog, "svc-0001")

    assert card.entity.tag == "svc-0001"
    assert set(card.problems) == {"on-call", "deploys", "scorecards", "dependencies"}
    assert all(isinstance(problem, BudgetBusyError) for problem in card.problems.values())


async def test_cortexs_retry_after_pauses_every_call_on_the_key(
    egress: Egress, limits: BudgetLimits, ledger: Ledger, limited_cortex: FakeCortex, api_key: str
) -> None:
    watched = _PauseWatched(ledger)
    catalog = _catalog(egress, cortex_budget(limits, watched), limited_cortex, api_key)
    seed(limited_cortex, 5)
    limited_cortex.faults.append(Fault(status=429, retry_after=1, path_contains="svc-0000"))

    refused_first = asyncio.ensure_future(catalog.entity("svc-0000"))
    # The others start once the 429 has reached the budget, however slow the machine is.
    await asyncio.wait_for(watched.paused.wait(), timeout=10)
    await asyncio.gather(refused_first, *(catalog.entity(f"svc-000{n}") for n in range(1, 5)))

    refused = limited_cortex.received[0]
    later = limited_cortex.received[1:]
    assert len(later) == 5
    assert all(request.at >= refused.at + 1.0 for request in later)


class _PauseWatched:
    """The ledger under test, telling the test when Cortex's pause has reached it."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.paused = asyncio.Event()

    async def take(self, key: str, limit: int, position: int) -> Take:
        return await self.ledger.take(key, limit, position)

    async def settle(self, key: str, ticket: str) -> None:
        await self.ledger.settle(key, ticket)

    async def release(self, key: str, ticket: str) -> None:
        await self.ledger.release(key, ticket)

    async def pause(self, key: str, seconds: float) -> None:
        await self.ledger.pause(key, seconds)
        self.paused.set()


async def test_each_key_has_its_own_budget(egress: Egress, limited_cortex: FakeCortex) -> None:
    two = BudgetLimits(requests=2, period=LONG_PERIOD, margin=0.0)
    budget = RequestBudget("Cortex", two, LocalLedger(LONG_PERIOD))
    api = cortex_api(egress, CARD_POLICY, budget=budget)
    seed(limited_cortex, 1)
    limited_cortex.api_keys.add("second-key-0123456789abcdef")
    first = CortexClient(api, limited_cortex.base_url, CORTEX_KEY)
    second = CortexClient(api, limited_cortex.base_url, "second-key-0123456789abcdef")

    for client in (first, first, second, second):
        await client.get_entity("svc-0000")

    with pytest.raises(BudgetBusyError):
        await first.get_entity("svc-0000")


async def _until(condition: object) -> None:
    for _ in range(1000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")
