"""The Rootly API: client, models, and the shared transport for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.egress import Egress
from bot.http import JsonApi, RetryPolicy, open_api
from bot.rootly.client import ROOTLY, SERVICE_NAME, RootlyClient
from bot.rootly.pacing import RootlyPacer


def rootly_api(
    egress: Egress,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JsonApi:
    # Rootly's limits differ per key: its pacer learns them from every answer (see pacing.py).
    return open_api(ROOTLY, egress, RootlyPacer(SERVICE_NAME), policy, sleep)


__all__ = ["RootlyClient", "rootly_api"]
