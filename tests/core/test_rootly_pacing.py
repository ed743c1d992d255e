"""Rootly's pacer against the fake Rootly: it follows the `X-RateLimit-*` headers, reads and
writes apart, whatever window they announce (seconds here, a minute for real)."""

from __future__ import annotations

import asyncio

import pytest

from bot.egress import Egress
from bot.http import RetryPolicy
from bot.lanes import background
from bot.rootly import RootlyClient, rootly_api
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly, Quota
from tests.support.services import until

# Generous timeouts: these tests count requests, and a slow (shared) machine must not add retries.
UNHURRIED = RetryPolicy(request_timeout=10.0, deadline=20.0)


@pytest.fixture
def rootly(egress: Egress, fake_rootly: FakeRootly) -> RootlyClient:
    return RootlyClient(rootly_api(egress, UNHURRIED), fake_rootly.base_url, ROOTLY_KEY)


class Waits:
    """A `bot.lanes.WaitListener` that remembers what it heard."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, float]] = []
        self.open = 0

    def __call__(self, service: str, seconds: float) -> None:
        self.heard.append((service, seconds))
        self.open += 1 if seconds > 0 else -1


async def test_background_reads_wait_for_each_reset_and_never_meet_a_429(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.quota = Quota(reads=5, writes=3, window=1.0)
    waits = Waits()

    with background(on_wait=waits):
        await asyncio.gather(*(rootly.check_access() for _ in range(12)))

    assert (fake_rootly.count("GET"), fake_rootly.refused) == (12, 0)
    assert waits.heard[0][0] == "Rootly"
    assert all(0 < seconds <= 1.0 for _, seconds in waits.heard if seconds)
    assert waits.open == 0  # every wait that started was said to be over


async def test_before_rootly_tells_its_limits_calls_stay_within_its_default(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.quota = None  # this Rootly sends no X-RateLimit headers at all
    fake_rootly.latency = 0.05

    await asyncio.gather(*(rootly.check_access() for _ in range(8)))

    # The document's default of 5 reads at once, then one at a time: never more in flight.
    assert (fake_rootly.count("GET"), fake_rootly.max_in_flight) == (8, 5)


async def test_once_the_headers_allow_it_calls_go_together(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.latency = 0.05  # the default quota: 3000 a minute

    await asyncio.gather(*(rootly.check_access() for _ in range(30)))

    assert fake_rootly.max_in_flight == 30 - 5  # 5 at first; once told, all the others at once


async def test_a_429_holds_back_every_call_of_the_key_until_the_reset(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.quota = Quota(reads=5, writes=3, window=1.0)
    fake_rootly.use_quota(ROOTLY_KEY, reads=5)  # another tool spent the key's reads

    with background():
        first = asyncio.ensure_future(rootly.check_access())
        await until(lambda: fake_rootly.refused == 1, "the first call's 429")
        await asyncio.gather(first, *(rootly.check_access() for _ in range(4)))

    # The calls made after the 429 waited for the reset it announced instead of meeting another.
    assert (fake_rootly.count("GET"), fake_rootly.refused) == (6, 1)
