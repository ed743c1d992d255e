"""The Rootly API: client, models, and the shared transport for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.http import JsonApi, RetryPolicy, open_api
from bot.rootly.client import ROOTLY, SERVICE_NAME, RootlyClient
from bot.rootly.pacing import RootlyPacer


def rootly_api(
    session: aiohttp.ClientSession,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    # Rootly's limits differ per key: its pacer learns them from every answer (see pacing.py).
    return open_api(ROOTLY, session, RootlyPacer(SERVICE_NAME), policy, sleep)


__all__ = ["RootlyClient", "rootly_api"]
