"""`bench.answers` tells each kind of answer apart on what the real app posts to the response URL
(so a reworded card or sentence breaks these tests, not the benchmarks' figures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bench.answers import Kind, of_message, tally
from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY, Fault, rule
from tests.support.slack_harness import ADMIN, TEAM, AppStarter, SlackApp

Scenario = Callable[[AppStarter], Awaitable[dict[str, Any]]]
CARD_REQUESTS = 6  # the first cold card: the catalog's listing, then its 5 parts at once
SCORECARD_REQUESTS = 2  # the scorecards' definitions and one page of scores


async def connected(app_with: AppStarter, requests_a_minute: int | None = None) -> SlackApp:
    """A connected workspace with two services and a scorecard; with `requests_a_minute`, a
    budget of that many requests for its key (one usable less)."""
    limit = {"cortex_rate_limit": requests_a_minute + 1} if requests_a_minute else {}
    app = await app_with(**limit, cortex_rate_period=60.0)
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    app.cortex.add_service("payments-api", "Payments API")
    app.cortex.add_service("billing", "Billing")
    app.cortex.add_scorecard("readiness", "Production readiness", (rule("owner", "Gold"),))
    app.cortex.score("readiness", "payments-api", failing=("owner",))
    return app


async def again_when_stale(app: SlackApp, text: str) -> dict[str, Any]:
    """Asked once, then again once every cached answer is past its freshness (but still kept)."""
    await app.answer(text)
    app.clock.now += 3000
    return await app.answer(text)


async def full_card(app_with: AppStarter) -> dict[str, Any]:
    return await (await connected(app_with)).answer("payments-api")


async def card_missing_scores(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    app.cortex.faults += [Fault(status=500, path_contains="/scorecards") for _ in range(2)]
    return await app.answer("payments-api")


async def older_card_cortex_failing(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    await app.answer("payments-api")
    app.clock.now += 3000
    app.cortex.faults += [Fault(status=503) for _ in range(20)]
    return await app.answer("payments-api")


async def older_card_budget_busy(app_with: AppStarter) -> dict[str, Any]:
    return await again_when_stale(await connected(app_with, CARD_REQUESTS), "payments-api")


async def older_and_missing(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    app.cortex.faults += [Fault(status=500, path_contains="/scorecards") for _ in range(2)]
    await app.answer("payments-api")  # the scores are not cached
    app.clock.now += 3000
    app.cortex.faults += [Fault(status=503) for _ in range(20)]
    return await app.answer("payments-api")


async def busy(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with, CARD_REQUESTS)
    await app.answer("payments-api")
    return await app.answer("billing")


async def rate_limited(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    app.cortex.faults += [Fault(status=429, retry_after=90) for _ in range(10)]
    return await app.answer("payments-api")


async def not_answering(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    app.cortex.faults += [Fault(status=503) for _ in range(10)]
    return await app.answer("payments-api")


async def key_refused(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with)
    app.cortex.api_keys.clear()
    return await app.answer("payments-api")


async def full_scorecard(app_with: AppStarter) -> dict[str, Any]:
    return await (await connected(app_with)).answer("scorecard readiness")


async def older_scorecard(app_with: AppStarter) -> dict[str, Any]:
    app = await connected(app_with, SCORECARD_REQUESTS)
    return await again_when_stale(app, "scorecard readiness")


@pytest.mark.parametrize(
    ("scenario", "kind"),
    [
        (full_card, Kind.FULL),
        (card_missing_scores, Kind.PARTIAL),
        (older_card_cortex_failing, Kind.OLDER),
        (older_card_budget_busy, Kind.OLDER),
        (older_and_missing, Kind.PARTIAL),
        (busy, Kind.BUSY),
        (rate_limited, Kind.RATE_LIMITED),
        (not_answering, Kind.NOT_ANSWERING),
        (key_refused, Kind.ERROR),
        (full_scorecard, Kind.FULL),
        (older_scorecard, Kind.OLDER),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
async def test_each_kind_of_answer_is_recognised(
    app_with: AppStarter, scenario: Scenario, kind: Kind
) -> None:
    assert of_message(await scenario(app_with)) == kind


def test_no_answer_and_the_tally() -> None:
    kinds = [of_message(None), Kind.FULL, Kind.BUSY, Kind.FULL]

    assert tally(kinds) == "2 full, 1 busy, 1 no answer"
