"""`/cortex help`, an empty `/cortex`, and the answer to a malformed command."""

from __future__ import annotations

import pytest

from handlers.common import ids
from tests.support.slack_harness import MEMBER, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")


async def test_help_lists_the_commands_and_offers_admins_to_connect(slack_app: SlackApp) -> None:
    await slack_app.command("help")
    answer = await slack_app.slack.next_response()

    assert answer["response_type"] == "ephemeral"
    assert "/cortex deploy" in str(answer["blocks"])
    assert ids.OPEN_CONNECT in str(answer["blocks"])


async def test_an_empty_command_is_help_and_members_get_no_connect_button(
    slack_app: SlackApp,
) -> None:
    await slack_app.command("", user=MEMBER)
    answer = await slack_app.slack.next_response()

    assert "/cortex search" in str(answer["blocks"])
    assert "not connected" in str(answer["blocks"])
    assert ids.OPEN_CONNECT not in str(answer["blocks"])


async def test_a_malformed_command_says_what_is_wrong(slack_app: SlackApp) -> None:
    await slack_app.command("deploy api v1 type=YOLO")
    answer = await slack_app.slack.next_response()

    assert "YOLO" in answer["text"]
    assert "/cortex deploy" in str(answer["blocks"])
