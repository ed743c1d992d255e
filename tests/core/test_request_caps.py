"""No workspace can starve another through the outside-API pools: a cap on requests in flight per
workspace and per host a workspace chose, asserted on what hanging fakes hold at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from bot.cortex import CortexClient, cortex_api
from bot.egress import PER_CHOSEN_HOST, PER_WORKSPACE, AddressPolicy, Egress, open_egress
from bot.http import RetryPolicy
from tests.support.apis import ServerFactory
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.slack_harness import eventually

# Long enough that nothing times out while a test looks at what is in flight.
PATIENT = RetryPolicy(attempts=1, request_timeout=30.0, deadline=30.0)
KEYS = ("key-of-workspace-a-0123456789", "key-of-workspace-b-0123456789", "key-c-0123456789")


@asynccontextmanager
async def hanging_cortex(aiohttp_server: ServerFactory) -> AsyncIterator[FakeCortex]:
    """A Cortex that never answers (within any test)."""
    fake = FakeCortex(api_keys={CORTEX_KEY, *KEYS})
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    fake.hang()
    try:
        yield fake
    finally:
        fake.answer_again()


@asynccontextmanager
async def calls(count: int, call: Callable[[], Awaitable[Any]]) -> AsyncIterator[None]:
    """`count` calls in flight for the duration of the block, cancelled after it."""
    tasks = [asyncio.ensure_future(call()) for _ in range(count)]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def settle(fake: FakeCortex, expected: int) -> None:
    """Wait until the fake holds `expected` requests, then a little longer to see no more come."""
    await eventually(lambda: asyncio.sleep(0, fake.in_flight), lambda n: n >= expected, "requests")
    await asyncio.sleep(0.1)


def client(egress: Egress, fake: FakeCortex, key: str = KEYS[0]) -> CortexClient:
    return CortexClient(cortex_api(egress, PATIENT), fake.base_url, key)


async def test_a_hanging_cortex_holds_at_most_the_workspace_cap_while_another_answers(
    egress: Egress, fake_cortex: FakeCortex, aiohttp_server: ServerFactory
) -> None:
    fake_cortex.api_keys.add(KEYS[1])
    fake_cortex.add_service("api")
    async with hanging_cortex(aiohttp_server) as hanging:
        stuck = client(egress, hanging)
        async with calls(PER_WORKSPACE + 20, lambda: stuck.get_entity("api")):
            await settle(hanging, PER_WORKSPACE)
            async with asyncio.timeout(PATIENT.request_timeout / 10):
                answered = await client(egress, fake_cortex, KEYS[1]).get_entity("api")

            assert hanging.in_flight == PER_WORKSPACE
            assert answered.tag == "api"


async def test_workspaces_sharing_a_chosen_host_share_its_cap(
    egress: Egress, aiohttp_server: ServerFactory
) -> None:
    async with hanging_cortex(aiohttp_server) as hanging:
        each = PER_CHOSEN_HOST // 2 + 4
        clients = [client(egress, hanging, key) for key in KEYS]
        async with (
            calls(each, lambda: clients[0].check_access()),
            calls(each, lambda: clients[1].check_access()),
            calls(each, lambda: clients[2].check_access()),
        ):
            await settle(hanging, PER_CHOSEN_HOST)

            assert hanging.in_flight == PER_CHOSEN_HOST


async def test_the_operators_cortex_has_no_host_cap_only_the_workspace_caps(
    aiohttp_server: ServerFactory,
) -> None:
    async with (
        hanging_cortex(aiohttp_server) as hanging,
        open_egress((hanging.base_url,), AddressPolicy()) as egress,
    ):
        first, second = client(egress, hanging, KEYS[0]), client(egress, hanging, KEYS[1])
        async with (
            calls(PER_WORKSPACE + 5, lambda: first.check_access()),
            calls(PER_WORKSPACE + 5, lambda: second.check_access()),
        ):
            await settle(hanging, 2 * PER_WORKSPACE)

            assert hanging.in_flight == 2 * PER_WORKSPACE
