"""The Cortex API: client, models, and the shared transport for it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.budget import BudgetLimits, Ledger, LocalLedger, RequestBudget
from bot.cortex.client import CORTEX, SERVICE_NAME, CortexClient
from bot.egress import Egress
from bot.http import JsonApi, RetryPolicy, open_api

# Documented: 1000 requests per minute per client.
CORTEX_LIMITS = BudgetLimits(requests=1000, period=60.0)


def cortex_budget(
    limits: BudgetLimits = CORTEX_LIMITS, ledger: Ledger | None = None
) -> RequestBudget:
    """Cortex's budget per key; counted in this process unless a shared ledger is given."""
    return RequestBudget(SERVICE_NAME, limits, ledger or LocalLedger(limits.period))


def cortex_api(
    egress: Egress,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    budget: RequestBudget | None = None,
) -> JsonApi:
    return open_api(CORTEX, egress, budget or cortex_budget(), policy, sleep)


__all__ = ["CORTEX_LIMITS", "CortexClient", "cortex_api", "cortex_budget"]
