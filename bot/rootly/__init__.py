"""The Rootly API: client, models, and the shared transport settings for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from bot.http import JsonApi, RateLimiters, RetryPolicy
from bot.rootly.client import (
    JSON_API,
    ROOTLY_RATE_LIMIT,
    SERVICE_NAME,
    RootlyClient,
    describe_rootly_error,
)


def rootly_api(
    session: aiohttp.ClientSession,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    """The process-wide Rootly transport: one session, one rate limiter per API key."""
    return JsonApi(
        SERVICE_NAME,
        session,
        RateLimiters(ROOTLY_RATE_LIMIT),
        describe_rootly_error,
        policy=policy,
        content_type=JSON_API,
        sleep=sleep,
    )


__all__ = ["RootlyClient", "rootly_api"]
