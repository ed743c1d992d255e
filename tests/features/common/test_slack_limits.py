"""Slack's limits, always: empty, huge and odd names from Cortex never make a payload Slack refuses.

The fake Slack checks every message, view and options answer against Slack's limits (see
`tests/support/fakes/block_kit.py`), so each test here fails on a payload Slack would refuse.
"""

from __future__ import annotations

import pytest

from bot.workspaces import NewKeys
from handlers.common import ids
from handlers.common.kit import (
    Message,
    button,
    context,
    header,
    modal,
    option,
    options,
    section,
)
from handlers.common.mrkdwn import Mrkdwn
from tests.support.fakes.block_kit import message_problems, view_problems
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.slack_harness import ADMIN, TEAM, SlackApp

LONGEST_OPTION_VALUE = "t" * 150
TOO_LONG_FOR_AN_OPTION = "u" * 151


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    cortex = slack_app.cortex
    cortex.add_service("blank", "   ", description="   ")
    cortex.add_service("huge", "N" * 300, description="d" * 5000, teams=("t" * 2500,))
    cortex.add_service(LONGEST_OPTION_VALUE, "Long tag")
    cortex.add_service(TOO_LONG_FOR_AN_OPTION, "Longer tag")
    cortex.add_service("odd", "\u200b\t\n odd \U0001f600 name")
    return slack_app


# --- the builders --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "otherwise", "shown"),
    [("", "tag", "tag"), (" \n\t", "tag", "tag"), ("", " ", "(unnamed)"), ("Name", "tag", "Name")],
)
def test_a_blank_header_shows_a_stand_in(name: str, otherwise: str, shown: str) -> None:
    assert header(name, otherwise=otherwise).to_dict()["text"]["text"] == shown


def test_long_plain_texts_are_cut_to_their_limits() -> None:
    long = "x" * 500

    shown = header(long).to_dict()["text"]["text"]
    assert len(shown) == 150
    assert shown.endswith("…")
    made = button(long, "a", "v")
    assert made is not None
    assert len(made.to_dict()["text"]["text"]) == 75
    choice = option(long, "v")
    assert choice is not None
    assert len(choice.to_dict()["text"]["text"]) == 75


def test_a_value_that_cannot_be_cut_leaves_its_element_out() -> None:
    assert button("Open", "a", "v" * 2000) is not None
    assert button("Open", "a", "v" * 2001) is None
    assert option("Tag", LONGEST_OPTION_VALUE) is not None
    assert option("Tag", TOO_LONG_FOR_AN_OPTION) is None
    assert option("Tag", "") is None


def test_options_keep_the_first_hundred_that_slack_takes() -> None:
    choices = [(f"name {n}", TOO_LONG_FOR_AN_OPTION if n % 2 else f"tag-{n}") for n in range(300)]

    built = options(choices)

    assert len(built) == 100
    assert [choice.value for choice in built[:2]] == ["tag-0", "tag-2"]


def test_too_many_blocks_end_with_how_many_were_left_out() -> None:
    blocks = [section(Mrkdwn("line {}").format(n)) for n in range(120)]

    message = Message(Mrkdwn("x" * 50_000), blocks).payload()
    view = modal("callback", "A title far longer than twenty-four", blocks).to_dict()

    assert len(message["blocks"]) == 50
    assert "71 blocks not shown" in str(message["blocks"][-1].to_dict())
    assert len(message["text"]) == 4000
    assert message_problems("message", {**message, "blocks": []}) == []
    assert len(view["blocks"]) == 100
    assert view_problems("view", view) == []


def test_blank_and_long_mrkdwn_stay_valid() -> None:
    for block in (section(Mrkdwn(" ")), context(Mrkdwn("")), section(Mrkdwn("y" * 9000))):
        text = block.to_dict()
        assert message_problems("block", {"text": "fallback", "blocks": [text]}) == []


# --- through Slack -------------------------------------------------------------------------------


@pytest.mark.parametrize("tag", ["blank", "huge", "odd", LONGEST_OPTION_VALUE])
async def test_cards_of_odd_services_are_answered(app: SlackApp, tag: str) -> None:
    response = await app.command(tag)

    assert response.status == 200
    card = await app.slack.next_response()
    assert "No service matches" not in str(card)
    assert "Something went wrong" not in str(card)


async def test_a_blank_name_shows_the_tag_in_the_header(app: SlackApp) -> None:
    await app.command("blank")

    card = await app.slack.next_response()
    assert card["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "blank"}}
    assert card["text"].strip()


@pytest.mark.parametrize("text", ["search N", "oncall blank", "deploys huge", "search tag"])
async def test_other_answers_about_odd_services_are_answered(app: SlackApp, text: str) -> None:
    response = await app.command(text)

    assert response.status == 200
    assert "Something went wrong" not in str(await app.slack.next_response())


async def test_an_options_load_with_a_tag_too_long_for_an_option_still_answers(
    app: SlackApp,
) -> None:
    answer = await app.options(ids.SERVICE_SELECT, "")

    values = [choice["value"] for choice in answer["options"]]
    assert LONGEST_OPTION_VALUE in values
    assert TOO_LONG_FOR_AN_OPTION not in values
    assert {"blank", "huge", "odd"} <= set(values)


async def test_a_long_inline_deploy_title_is_recorded_and_announced(app: SlackApp) -> None:
    title = "Release " + "x" * 5000

    response = await app.command(f"deploy huge {title}")

    assert response.status == 200
    announced = await app.slack.next_call("chat.postMessage")
    recorded = app.cortex.requests_to("/api/v1/catalog/huge/deploys", "POST")
    assert [request.body["title"] for request in recorded] == [title]
    assert announced.args["text"].startswith(":rocket: <@U0ADMIN> deployed *")
    assert "…" in announced.args["text"]  # the title cut to fit


async def test_a_long_inline_event_title_without_a_type_opens_the_modal(app: SlackApp) -> None:
    response = await app.command(f"event huge {'y' * 500}")

    assert response.status == 200
    opened = await app.slack.next_call("views.open")
    title_input = next(
        block["element"]
        for block in opened.args["view"]["blocks"]
        if block.get("block_id") == ids.TITLE_BLOCK
    )
    assert title_input["initial_value"].startswith("yyy")
