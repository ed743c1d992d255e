"""Fake Cortex and Rootly servers on 127.0.0.1, and clients, transports and a catalog using them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiohttp.web import Application

from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient, cortex_api
from bot.egress import AddressPolicy, Egress, open_egress
from bot.http import JsonApi, RetryPolicy
from bot.rootly import RootlyClient, rootly_api
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly

# Quick retries so failure tests take milliseconds; the shape of the policy is what is tested.
# The per-request timeout is long enough that an ordinary answer from a fake checking its answers
# against the official document, on a loaded machine, never meets it (0.5 s did: a retry then
# added requests to tests that count them); tests of hanging answers use policies of their own.
FAST_RETRIES = RetryPolicy(
    attempts=3, request_timeout=2.0, deadline=6.0, backoff_base=0.01, backoff_max=0.02
)

# Checking a page of 1,000 items against the official document takes a fake a good part of a
# second on a busy machine, in the test's own event loop: tests of big listings use this.
PATIENT = RetryPolicy(attempts=1, request_timeout=60.0, deadline=120.0)

ServerFactory = Callable[[Application], Awaitable[TestServer]]


class RecordingSleep:
    """Stands in for asyncio.sleep in the retry loop: remembers each wait, waits for none."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
async def fake_cortex(aiohttp_server: ServerFactory) -> AsyncIterator[FakeCortex]:
    fake = FakeCortex()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    yield fake
    assert fake.violations == [], "exchanges that break the official Cortex document"


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def retry_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def egress() -> AsyncIterator[Egress]:
    """The outside-API pools of an operator who allows private URLs (the fakes are on 127.0.0.1)."""
    async with open_egress((), AddressPolicy(allow_private=True)) as pools:
        yield pools


@pytest.fixture
def cortex_transport(egress: Egress, retry_sleep: RecordingSleep) -> JsonApi:
    return cortex_api(egress, FAST_RETRIES, sleep=retry_sleep)


@pytest.fixture
def cortex(cortex_transport: JsonApi, fake_cortex: FakeCortex) -> CortexClient:
    return CortexClient(cortex_transport, fake_cortex.base_url, CORTEX_KEY)


@pytest.fixture
def patient_cortex(egress: Egress, fake_cortex: FakeCortex) -> CortexClient:
    """A client that gives the fake time to check big pages against the official document."""
    return CortexClient(cortex_api(egress, PATIENT), fake_cortex.base_url, CORTEX_KEY)


@pytest.fixture
def response_cache() -> ResponseCache:
    return ResponseCache()


@pytest.fixture
def catalog(cortex: CortexClient, response_cache: ResponseCache) -> Catalog:
    return Catalog(cortex, response_cache, team_id="T-ALPHA")


@pytest.fixture
async def fake_rootly(aiohttp_server: ServerFactory) -> AsyncIterator[FakeRootly]:
    fake = FakeRootly()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    yield fake
    assert fake.violations == [], "exchanges that break the official Rootly document"


@pytest.fixture
def rootly_transport(egress: Egress, retry_sleep: RecordingSleep) -> JsonApi:
    return rootly_api(egress, FAST_RETRIES, sleep=retry_sleep)


@pytest.fixture
def rootly(rootly_transport: JsonApi, fake_rootly: FakeRootly) -> RootlyClient:
    return RootlyClient(rootly_transport, fake_rootly.base_url, ROOTLY_KEY)
