"""The App Home tab."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.workspaces import Connection
from handlers.blocks.common import not_connected_blocks, plain_blocks
from handlers.blocks.connect import connection_summary


def home_view(connection: Connection | None) -> View:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Cortex"))]
    blocks += plain_blocks(connection_summary(connection)) if connection else not_connected_blocks()
    blocks += [DividerBlock(), *plain_blocks("Type `/cortex help` in any channel to get started.")]
    return View(type="home", blocks=blocks)
