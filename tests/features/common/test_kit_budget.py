"""A message's blocks together: Slack refuses too much text in them (`msg_blocks_too_long`), so a
message keeps the blocks its budget allows and says how many it left out; views are not held to it.
"""

from __future__ import annotations

from handlers.common.kit import MESSAGE_BUDGET, Message, home, section, weight
from handlers.common.mrkdwn import Mrkdwn
from tests.support.fakes.block_kit import blocks_too_long, message_problems, view_problems


def _full_sections(count: int) -> list[Mrkdwn]:
    return [Mrkdwn("{} {}").format(n, "x" * 2_990) for n in range(count)]


def test_a_message_keeps_the_blocks_its_budget_allows_and_counts_the_rest() -> None:
    message = Message(Mrkdwn("Ten full sections"), [section(text) for text in _full_sections(10)])

    payload = message.payload()

    blocks = payload["blocks"]
    assert len(blocks) == 4
    assert sum(map(weight, blocks)) <= MESSAGE_BUDGET
    assert "…and 7 blocks not shown" in str(blocks[-1].to_dict())
    sent = {**payload, "blocks": [block.to_dict() for block in blocks]}
    assert not blocks_too_long(sent)
    assert message_problems("message", sent) == []


def test_a_message_within_its_budget_is_whole() -> None:
    blocks = [section(text) for text in _full_sections(3)]

    assert Message(Mrkdwn("Three full sections"), blocks).payload()["blocks"] == blocks


def test_a_view_keeps_its_blocks_whatever_their_text() -> None:
    view = home([section(text) for text in _full_sections(10)]).to_dict()

    assert len(view["blocks"]) == 10
    assert view_problems("home", view) == []
