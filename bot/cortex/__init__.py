"""The Cortex API: client, models, and the shared transport for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.cortex.client import CORTEX, CortexClient
from bot.http import JsonApi, RetryPolicy, open_api


def cortex_api(
    session: aiohttp.ClientSession,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    return open_api(CORTEX, session, policy, sleep)


__all__ = ["CortexClient", "cortex_api"]
