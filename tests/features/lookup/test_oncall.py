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
    slack_app.rootly.page("Payments primary", people, service_ids=(service_id,))
    return slack_app


def shown(answer: dict[str, Any]) -> str:
    return json.dumps(answer["blocks"], ensure_ascii=False)


async def test_oncall_from_rootly_says_so(app: SlackApp) -> None:
    answer = await app.answer("oncall payments-api")

    text = shown(answer)
    assert "*On call for Payments API* now, from Rootly" in text
    assert text.index("*Level 1* (Payments primary)") < text.index("Di Backup")
    assert "Cy &lt;!channel&gt; Oncall (cy@example.com)" in text
    assert "<!channel>" not in text


async def test_the_card_names_rootly_as_the_source(app: SlackApp) -> None:
    card = await app.answer("payments-api")

    assert "Cy &lt;!channel&gt; Oncall _(Rootly)_" in shown(card)


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
    assert "*Level 1* (Pagerduty): Ed" in shown(answer)
    assert app.rootly.requests_to("/v1/oncalls") == []
