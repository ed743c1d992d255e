"""Who is on call, from Slack: Cortex's integrations first, Rootly On-Call when Cortex has none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.slack_harness import ADMIN, TEAM, SlackApp


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    """A workspace with Cortex and Rootly, whose payments team is paged through Rootly."""
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )
    slack_app.cortex.add_service("payments-api", "Payments API")
    slack_app.cortex.add_service("search", "Search <!here>")
    service_id = slack_app.rootly.add_service("Payments API", cortex_id="payments-api")
    people = [("Cy <!channel> Oncall", "cy@example.com"), ("Di Backup", "di@example.com")]
    slack_app.rootly.page(
        "Payments primary", people, service_ids=(service_id,), schedule="Payments weekly"
    )
    # Cy is a member of the workspace under the same email (Slack matches it case-blind); Di is not.
    slack_app.slack.add_user("U0CY", TEAM, name="Cy Oncall", email="Cy@Example.com")
    return slack_app


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer["blocks"], ensure_ascii=False)


async def test_oncall_from_rootly_says_so(app: SlackApp) -> None:
    answer = await app.answer("oncall payments-api")

    text = shown(answer)
    oncall = app.rootly.oncalls[0]
    rootly = app.rootly.base_url
    policy_page = f"{rootly}/account/escalation-policies/{oncall['escalation_policy_id']}"
    policy = f"<{policy_page}|Payments primary>"
    schedule_page = f"{rootly}/account/schedules/{oncall['schedule_id']}"
    schedule = f"(schedule <{schedule_page}|Payments weekly>)"
    assert "*On call for Payments API* now, from Rootly" in text
    level_1 = text.index(f"*Level 1* · {policy} in Rootly: <@U0CY> until <!date^")
    level_2 = text.index(f"*Level 2* · {policy} in Rootly: Di Backup until <!date^")
    assert level_1 < level_2
    assert text.count(schedule) == 2
    assert "<!channel>" not in text


async def test_the_card_names_rootly_as_the_source(app: SlackApp) -> None:
    card = await app.answer("payments-api")

    assert "Payments primary> in Rootly)_" in shown(card)
    assert "<@U0CY> until <!date^" in shown(card)


async def test_people_are_looked_up_in_slack_once_by_email(app: SlackApp) -> None:
    first = await app.answer("payments-api")
    lookups = app.slack.calls_to("users.lookupByEmail")
    again = await app.answer("oncall payments-api")

    assert "Cy &lt;!channel&gt; Oncall" not in shown(first)  # a member shows as themselves
    assert "Di Backup until" in shown(again)  # Slack knows nobody with that email: the name
    assert sorted(call.args["email"] for call in lookups) == ["cy@example.com", "di@example.com"]
    assert len(app.slack.calls_to("users.lookupByEmail")) == len(lookups)


async def test_a_member_of_another_workspace_is_not_mentioned(app: SlackApp) -> None:
    app.slack.users["U0CY"]["team_id"] = "T0OTHER"

    answer = await app.answer("oncall payments-api")

    assert "<@U0CY>" not in shown(answer)
    assert "Cy &lt;!channel&gt; Oncall until" in shown(answer)


async def test_when_neither_knows_one_sentence_says_so(app: SlackApp) -> None:
    answer = await app.answer("oncall search")

    [block] = answer["blocks"]
    assert block["text"]["text"] == (
        "Neither Cortex nor Rootly knows who is on call for *Search &lt;!here&gt;*: it has no "
        "on-call integration in Cortex, and Rootly pages nobody for it or its owner teams."
    )


async def test_cortex_answers_first(app: SlackApp) -> None:
    app.cortex.oncall["payments-api"] = [
        {
            "provider": "PAGERDUTY",
            "escalations": [{"escalationLevel": 1, "schedules": [{"user": {"name": "Ed"}}]}],
        }
    ]

    answer = await app.answer("oncall payments-api")

    assert "now, from Cortex" in shown(answer)
    assert "*Level 1* · PagerDuty: Ed" in shown(answer)
    assert app.rootly.requests_to("/v1/oncalls") == []
