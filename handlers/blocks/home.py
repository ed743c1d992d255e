"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject
from slack_sdk.models.views import View

from bot.digests.store import Digest
from bot.sync.engine import SyncStatus
from bot.workspaces import Connection
from handlers.blocks import sync
from handlers.blocks.common import not_connected_blocks, plain_blocks
from handlers.blocks.connect import connection_summary
from handlers.blocks.digest import digest_home_blocks


def home_view(
    connection: Connection | None,
    sync_status: SyncStatus | None = None,
    digests: Sequence[Digest] = (),
) -> View:
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Cortex"))]
    if connection is None:
        blocks += not_connected_blocks()
    else:
        blocks += plain_blocks(connection_summary(connection))
        if sync_status is not None:
            blocks += sync.home_blocks(sync_status, rootly_connected=connection.has_rootly)
        blocks += [DividerBlock(), *digest_home_blocks(digests)]
    blocks += [DividerBlock(), *plain_blocks("Type `/cortex help` in any channel to get started.")]
    return View(type="home", blocks=blocks)
