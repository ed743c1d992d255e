"""`/cortex help`, an empty `/cortex`, and the answer to a malformed command."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cortex.models import Entity
from bot.workspaces import NewKeys
from handlers import COMMANDS
from handlers.common import ids
from handlers.common.commands import ParseError, Task, parse_error_blocks
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn
from handlers.help.blocks import Example, help_blocks
from tests.support.fakes.block_kit import message_problems
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")

SLASH = "/cortex"
LINES = COMMANDS.listing(SLASH).lines
CATALOG = [
    Entity(tag="zeta", name="Zeta"),
    Entity(tag="has space", name="Aardvark"),  # a tag no one can type as one word
    Entity(tag="ledger-api", name="Ledger API"),
]


def texts(blocks: list[Any]) -> list[str]:
    return [str(block.to_dict().get("text", {}).get("text", "")) for block in blocks]


def shown(blocks: list[Any]) -> str:
    return str([block.to_dict() for block in blocks])


# --- the builder ---------------------------------------------------------------------------------


def test_commands_are_grouped_by_task_in_order_with_one_line_each() -> None:
    blocks = help_blocks(LINES, SLASH, Example.among(CATALOG), connected=True, admin=False)
    sections = texts(blocks)

    groups = [text.split("\n")[0] for text in sections if text.startswith("*")]
    assert groups == [f"*{task.value}*" for task in Task] + ["*Try*"]
    listed = "\n".join(sections)
    for name, entry in COMMANDS.subcommands.items():
        if name != "help":
            assert listed.count(f" — {Mrkdwn.escape(entry.does)}") == 1, name
    assert "`/cortex &lt;tag or name&gt;` — a service's card" in listed  # the shorthand first
    assert "[env=E]" not in listed  # options are for the usage shown with a mistake


def test_examples_name_a_service_of_this_workspace_and_none_when_it_is_not_known() -> None:
    known = "\n".join(
        texts(help_blocks(LINES, SLASH, Example.among(CATALOG), connected=True, admin=True))
    )
    unknown = "\n".join(
        texts(help_blocks(LINES, SLASH, Example.among([]), connected=True, admin=True))
    )

    assert "`/cortex ledger-api` — its card" in known
    assert "`/cortex oncall ledger-api`" in known
    assert "`/cortex search ledger`" in known
    assert "payments-api" not in known + unknown
    assert "has space" not in known
    assert "*Try*" not in unknown  # no made-up service


def test_a_search_word_that_cannot_be_typed_gives_way_to_the_tag() -> None:
    example = Example.among([Entity(tag="edge", name="`edge` proxy")])

    assert example == Example("edge", "edge")


@pytest.mark.parametrize(
    ("connected", "admin", "button", "note"),
    [
        (False, True, True, "A workspace admin can connect it"),
        (False, False, False, "ask a workspace admin to connect it with `/cortex connect`"),
        (True, True, False, None),
        (True, False, False, None),
    ],
    ids=["admin, not connected", "member, not connected", "admin, connected", "member, connected"],
)
def test_the_connect_button_shows_only_to_admins_of_a_workspace_not_connected(
    connected: bool, admin: bool, button: bool, note: str | None
) -> None:
    blocks = help_blocks(LINES, SLASH, None, connected=connected, admin=admin)

    assert (ids.OPEN_CONNECT in shown(blocks)) is button
    assert ("not connected" in shown(blocks)) is (note is not None)
    if note:
        assert note in shown(blocks)


def test_every_placeholder_in_help_is_escaped() -> None:
    blocks = help_blocks(LINES, SLASH, None, connected=False, admin=True)
    payload = Message(Mrkdwn("help"), blocks).payload()
    sent = {**payload, "blocks": [block.to_dict() for block in payload["blocks"]]}

    assert message_problems("help", sent) == []  # the fake Slack's reading: no stray markup
    assert "<tag" not in shown(blocks)
    assert "&lt;tag or name&gt;" in shown(blocks)


@pytest.mark.parametrize("name", list(COMMANDS.subcommands))
def test_every_usage_shown_with_a_mistake_is_escaped(name: str) -> None:
    usage = COMMANDS.usage(name)
    blocks = parse_error_blocks(ParseError("Not <that>.", usage, suggestion=name), SLASH)
    sent = [block.to_dict() for block in blocks]

    assert message_problems(name, {"text": "x", "blocks": sent}) == []
    text = str(sent[0]["text"]["text"])
    assert f"Usage: `{SLASH} {Mrkdwn.escape(usage)}`" in text
    assert "Not &lt;that&gt;." in text
    assert "<" not in text.replace("&lt;", "")


# --- in Slack ------------------------------------------------------------------------------------


async def test_help_lists_the_commands_and_offers_admins_to_connect(slack_app: SlackApp) -> None:
    answer = await slack_app.answer("help", user=ADMIN)

    assert answer["response_type"] == "ephemeral"
    assert "`/cortex deploy &lt;tag&gt; &lt;title words&gt;` — record a deploy" in str(
        answer["blocks"]
    )
    assert ids.OPEN_CONNECT in str(answer["blocks"])


async def test_an_empty_command_is_help_and_members_get_no_connect_button(
    slack_app: SlackApp,
) -> None:
    answer = await slack_app.answer("", user=MEMBER)

    assert "/cortex search" in str(answer["blocks"])
    assert "ask a workspace admin to connect it with `/cortex connect`" in str(answer["blocks"])
    assert ids.OPEN_CONNECT not in str(answer["blocks"])


async def test_help_examples_use_the_catalog_already_read_and_ask_cortex_nothing(
    slack_app: SlackApp,
) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    slack_app.cortex.add_service("ledger-api", "Ledger API")
    cold = await slack_app.answer("help")
    await slack_app.answer("search ledger")
    requests = slack_app.cortex.count()

    warm = await slack_app.answer("help", user=ADMIN)

    assert slack_app.cortex.count() == requests == 1  # the search's listing only
    assert "*Try*" not in str(cold["blocks"])
    assert "`/cortex ledger-api` — its card" in str(warm["blocks"])
    assert ids.OPEN_CONNECT not in str(warm["blocks"])  # connected: nothing to connect


async def test_a_malformed_command_says_what_is_wrong(slack_app: SlackApp) -> None:
    answer = await slack_app.answer("deploy api v1 type=YOLO")

    assert "YOLO" in answer["text"]
    assert "Usage: `/cortex deploy &lt;tag&gt; &lt;title words&gt;" in str(answer["blocks"])
