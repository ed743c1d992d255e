"""The Cortex API: client, models, and the shared transport settings for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.cortex.client import CORTEX_RATE_LIMIT, SERVICE_NAME, CortexClient, describe_cortex_error
from bot.http import JsonApi, RateLimiters, RetryPolicy


def cortex_api(
    session: aiohttp.ClientSession,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    """The process-wide Cortex transport: one session, one rate limiter per API key."""
    return JsonApi(
        SERVICE_NAME,
        session,
        RateLimiters(CORTEX_RATE_LIMIT),
        describe_cortex_error,
        policy=policy,
        sleep=sleep,
    )


__all__ = ["CortexClient", "cortex_api"]
