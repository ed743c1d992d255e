"""Scorecards from Slack: `/cortex scores`, `/cortex scorecard`, their buttons and the card's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.http import RetryPolicy
from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault, rule
from tests.support.slack_harness import ADMIN, TEAM, AppStarter, SlackApp

RULES = (
    rule("owner", "Bronze", title="Has an owner"),
    rule("runbook", "Bronze", title="Has a runbook", description="Link a runbook in the catalog."),
    rule("oncall", "Silver", title="Is paged", description="Register an on-call rotation."),
    rule("slo", "Gold", title="Has SLOs", description="Define an SLO <b>&</b> alert on it."),
    rule("docs", "Gold", expression="documentation.count > 0"),
)
# Reading 1,000 scores and checking them against the official document takes the fakes longer
# than the quick retries of the other tests allow, on a busy machine.
PATIENT = RetryPolicy(attempts=1, request_timeout=60.0, deadline=120.0)


async def connected(app: SlackApp) -> SlackApp:
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    return app


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    """A connected workspace with a service on two scorecards."""
    seed(slack_app.cortex)
    return await connected(slack_app)


def seed(cortex: FakeCortex) -> None:
    cortex.add_service("payments-api", "Payments API")
    cortex.add_service("search", "Search")
    cortex.add_scorecard("readiness", "Production readiness", RULES, description="Ready?")
    cortex.add_scorecard("security", "Security baseline", (rule("tls", "Gold", title="TLS"),))
    cortex.score("security", "payments-api")
    cortex.score("readiness", "payments-api", failing=("slo", "docs"))
    cortex.score("readiness", "search", failing=("owner", "oncall"))


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer["blocks"], ensure_ascii=False)


def markdown_of(item: Any) -> list[str]:
    """Every mrkdwn text in blocks: what Slack parses for links and mentions."""
    if isinstance(item, list):
        return [text for child in item for text in markdown_of(child)]
    if not isinstance(item, dict):
        return []
    own = [item["text"]] if item.get("type") == "mrkdwn" else []
    return own + [text for value in item.values() for text in markdown_of(value)]


def buttons(answer: dict[str, Any], action_id: str) -> list[dict[str, Any]]:
    found = []
    for block in answer["blocks"]:
        elements = [block.get("accessory"), *block.get("elements", [])]
        found += [item for item in elements if item and item.get("action_id") == action_id]
    return found


# --- /cortex scores ------------------------------------------------------------------------------


async def test_scores_show_level_score_failed_rules_and_next_steps(app: SlackApp) -> None:
    answer = await app.answer("scores payments-api")

    text = shown(answer)
    assert answer["response_type"] == "ephemeral"
    assert text.index("Production readiness") < text.index("Security baseline")  # worst first
    for expected in (
        "Silver · 60%",
        "3 of 5 points",
        "Has SLOs",
        "Define an SLO &lt;b&gt;&amp;&lt;/b&gt; alert on it.",
        "documentation.count &gt; 0",
        "To reach *Gold*",
        "Gold · 100%",
    ):
        assert expected in text
    assert "Has a runbook" not in text  # passed
    urls = [button["url"] for button in buttons(answer, ids.OPEN_SCORECARD)]
    assert urls == [
        f"{app.cortex.base_url}/admin/scorecards/1",
        f"{app.cortex.base_url}/admin/scorecards/2",
    ]
    asked = app.cortex.requests_to("/api/v1/scorecards/readiness/scores")
    assert [request.query["entityTag"] for request in asked] == ["payments-api"]


async def test_scores_by_name(app: SlackApp) -> None:
    answer = await app.answer("scores Payments API")

    assert "Scorecards of Payments API" in shown(answer)


async def test_scores_of_an_unknown_service_offer_the_closest_ones(app: SlackApp) -> None:
    answer = await app.answer("scores paymnts-api")

    assert "No service matches `paymnts-api`" in shown(answer)
    offered = buttons(answer, ids.SHOW_SCORES)
    assert [button["value"] for button in offered][:1] == ["payments-api"]

    await app.click(ids.SHOW_SCORES, value="payments-api")
    picked = await app.slack.next_response(2)
    assert "Scorecards of Payments API" in shown(picked)


async def test_a_service_on_no_scorecard_says_so(app: SlackApp) -> None:
    app.cortex.add_service("lonely", "Lonely")

    answer = await app.answer("scores lonely")

    assert "*Lonely* is on no scorecard in Cortex." in shown(answer)


async def test_scores_need_a_service(app: SlackApp) -> None:
    answer = await app.answer("scores")

    assert "`scores` needs a service tag or name." in answer["text"]
    assert "/cortex scores &lt;tag&gt;" in shown(answer)  # escaped: Slack shows <tag>


async def test_the_cards_scorecard_line_leads_to_the_scores(app: SlackApp) -> None:
    card = await app.answer("payments-api")

    [scores_button] = buttons(card, ids.SHOW_SCORES)
    assert scores_button["value"] == "payments-api"
    assert "Production readiness: Silver" in shown(card)

    await app.click(ids.SHOW_SCORES, value="payments-api")
    answer = await app.slack.next_response(2)
    assert "Scorecards of Payments API" in shown(answer)
    assert answer.get("replace_original") is False  # the card stays


async def test_scores_over_the_lookup_modal_open_first_then_fill_in(app: SlackApp) -> None:
    view = {"id": "V0LOOKUP", "type": "modal", "private_metadata": ""}

    await app.click(ids.SHOW_SCORES, value="payments-api", view=view)

    pushed = await app.slack.next_call("views.push")
    assert "Reading the scorecards" in json.dumps(pushed.args["view"])
    updated = await app.slack.next_call("views.update")
    assert "Has SLOs" in json.dumps(updated.args["view"])


async def test_a_cortex_failure_over_the_modal_ends_in_a_sentence(app: SlackApp) -> None:
    view = {"id": "V0LOOKUP", "type": "modal", "private_metadata": ""}
    app.cortex.faults += [Fault(status=503, path_contains="/api/v1/catalog/") for _ in range(9)]

    await app.click(ids.SHOW_SCORES, value="payments-api", view=view)

    updated = await app.slack.next_call("views.update")
    assert "Cortex is not answering right now" in json.dumps(updated.args["view"])


# --- /cortex scorecard ---------------------------------------------------------------------------


@pytest.fixture
async def big(app_with: AppStarter) -> SlackApp:
    """A scorecard of 1,500 services, more than one page of Cortex's listing."""
    app = await app_with(retries=PATIENT)
    app.cortex.add_scorecard("readiness", "Production readiness", RULES)
    divisors = ((2, "slo"), (5, "oncall"), (7, "owner"))
    for number in range(1_500):
        failing = [name for divisor, name in divisors if number % divisor == 0]
        app.cortex.score("readiness", f"svc-{number:04d}", failing=failing)
    return await connected(app)


async def test_a_scorecard_of_1500_services_in_one_message(big: SlackApp) -> None:
    answer = await big.answer("scorecard Production readiness")

    text = shown(answer)
    pages = big.cortex.requests_to("/api/v1/scorecards/readiness/scores")
    assert sorted(request.query["page"] for request in pages) == ["0", "1"]
    assert "1,500 services" in text
    # Multiples of 7 fail a Bronze rule, of 5 a Silver one, of 2 a Gold one.
    assert "Gold: 514 · Silver: 514 · Bronze: 257 · _no level_: 215" in text
    assert "986 services failing a rule" in text
    offered = [button["value"] for button in buttons(answer, ids.SHOW_SCORES)]
    assert len(offered) == 20
    assert offered[0] == "svc-0000"  # no level and every rule it can fail: the worst
    assert "…and 966 more" in text
    assert len(answer["blocks"]) <= 50


async def test_a_warm_scorecard_costs_no_cortex_request(big: SlackApp) -> None:
    await big.answer("scorecard readiness")
    before = big.cortex.count()

    answer = await big.answer("scorecard readiness")

    assert big.cortex.count() == before
    assert "986 services failing a rule" in shown(answer)


async def test_a_mistyped_scorecard_offers_the_closest_ones(app: SlackApp) -> None:
    answer = await app.answer("scorecard secutiry baselin")

    assert "No scorecard matches `secutiry baselin`" in shown(answer)
    [first, *_] = buttons(answer, ids.SHOW_SCORECARD)
    assert first["value"] == "security"

    await app.click(ids.SHOW_SCORECARD, value="security")
    picked = await app.slack.next_response(2)
    assert picked["replace_original"] is True
    assert "Every service passes every rule (1 service)." in shown(picked)


async def test_a_scorecard_by_tag_names_its_failing_services(app: SlackApp) -> None:
    answer = await app.answer("scorecard readiness")

    text = shown(answer)
    assert text.index("Search") < text.index("Payments API")  # no level before Silver
    assert "fails 2 rules" in text
    [link] = buttons(answer, ids.OPEN_SCORECARD)
    assert link["url"] == f"{app.cortex.base_url}/admin/scorecards/1"


async def test_hostile_names_stay_within_slacks_limits_and_are_escaped(app: SlackApp) -> None:
    long = "Pager <!channel> " + "x" * 4_000
    rules = [rule(f"r{number}", "Gold", title=long, description=long) for number in range(60)]
    levels = [f"Level {number} <!here>" for number in range(400)]
    app.cortex.add_scorecard("hostile", long, rules, levels=levels, description=long)
    for number in range(30):
        app.cortex.add_service(f"h-{number}", long)
        app.cortex.score("hostile", f"h-{number}", failing=[f"r{n}" for n in range(60)])

    scorecard = await app.answer("scorecard hostile")
    scores = await app.answer("scores h-1")

    for answer in (scorecard, scores):
        assert len(answer["blocks"]) <= 50
        written = " ".join([answer["text"], *markdown_of(answer["blocks"])])
        assert "<!channel>" not in written
        assert "<!here>" not in written
        assert "&lt;!channel&gt;" in written
    # The fake Slack fails the test if a section goes past 3,000 characters.


async def test_a_busy_budget_is_said_so_with_the_older_summary(app_with: AppStarter) -> None:
    # Three requests a minute (two usable): exactly one cold scorecard's worth.
    app = await connected(await app_with(cortex_rate_limit=3, cortex_rate_period=60.0))
    seed(app.cortex)
    await app.answer("scorecard readiness")
    app.clock.now += 3000  # past the summary's freshness, within the time older data is kept
    sent = len(app.cortex.received)

    answer = await app.answer("scorecard readiness")

    assert len(app.cortex.received) == sent  # Cortex was never asked
    assert "fails 2 rules" in shown(answer)
    assert "this workspace's Cortex budget is busy; this is older cached data." in shown(answer)
    assert "not answering" not in shown(answer)


async def test_a_failing_cortex_is_one_sentence(app: SlackApp) -> None:
    app.cortex.faults += [Fault(status=503, path_contains="/readiness/scores") for _ in range(3)]

    answer = await app.answer("scorecard readiness")

    assert answer["text"].startswith("Cortex is not answering right now")


async def test_scorecard_reads_are_counted(app: SlackApp) -> None:
    await app.answer("scorecard readiness")

    metrics = await (await app.http.get("/metrics")).text()

    assert 'cortex_bot_commands_total{command="scorecard",outcome="ok"}' in metrics
    assert 'cortex_bot_cache_lookups_total{kind="scorecard-summary",result="miss"}' in metrics
