"""The disconnect confirmation."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
)

from bot.workspaces import Connection
from handlers.common import ids
from handlers.common.blocks import section


def disconnect_confirmation(connection: Connection) -> list[Block]:
    return [
        section(
            f"Disconnect this workspace from Cortex at {connection.cortex_url}? The stored Cortex "
            "key" + (" and Rootly key" if connection.has_rootly else "") + " will be deleted."
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Disconnect"),
                    action_id=ids.DISCONNECT_CONFIRM,
                    style="danger",
                ),
                ButtonElement(text=PlainTextObject(text="Cancel"), action_id=ids.DISCONNECT_CANCEL),
            ]
        ),
        ContextBlock(elements=[MarkdownTextObject(text="Only admins can confirm.")]),
    ]
