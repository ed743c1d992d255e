"""The disconnect confirmation."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.workspaces import ConnectionInfo
from handlers.common import ids
from handlers.common.kit import actions, button, context, section
from handlers.common.mrkdwn import Mrkdwn


def disconnect_confirmation(connection: ConnectionInfo) -> list[Block]:
    keys = "key and Rootly key" if connection.has_rootly else "key"
    question = Mrkdwn(
        "Disconnect this workspace from Cortex at {}? The stored Cortex {} will be deleted."
    )
    return [
        section(question.format(connection.cortex_url, keys)),
        *actions(
            button("Disconnect", ids.DISCONNECT_CONFIRM, style="danger"),
            button("Cancel", ids.DISCONNECT_CANCEL),
        ),
        context(Mrkdwn("Only admins can confirm.")),
    ]
