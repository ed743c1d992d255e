"""The Rootly API: client, models, and the shared transport for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.http import JsonApi, RateLimiters, RetryPolicy, open_api
from bot.rootly.client import ROOTLY, ROOTLY_RATE_LIMIT, RootlyClient


def rootly_api(
    session: aiohttp.ClientSession,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    return open_api(ROOTLY, session, RateLimiters(ROOTLY_RATE_LIMIT), policy, sleep)


__all__ = ["RootlyClient", "rootly_api"]
