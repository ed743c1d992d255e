"""Fixtures for the Rootly client and its fake; test modules import the ones they use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.http import JsonApi
from bot.rootly import RootlyClient, rootly_api
from tests.conftest import FAST_RETRIES, RecordingSleep, ServerFactory
from tests.fakes.rootly import ROOTLY_KEY, FakeRootly


@pytest.fixture
async def fake_rootly(aiohttp_server: ServerFactory) -> AsyncIterator[FakeRootly]:
    fake = FakeRootly()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    yield fake
    assert fake.violations == [], "exchanges that break the official Rootly document"


@pytest.fixture
def rootly_transport(http_session: aiohttp.ClientSession, retry_sleep: RecordingSleep) -> JsonApi:
    return rootly_api(http_session, FAST_RETRIES, sleep=retry_sleep)


@pytest.fixture
def rootly(rootly_transport: JsonApi, fake_rootly: FakeRootly) -> RootlyClient:
    return RootlyClient(rootly_transport, fake_rootly.base_url, ROOTLY_KEY)
