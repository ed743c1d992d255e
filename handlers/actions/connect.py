"""The "Connect Cortex" button (help, App Home, not-connected answers) opens the connect modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers import ids
from handlers.context import services_of
from handlers.views.connect import open_connect_modal


async def open_connect(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    await open_connect_modal(
        client, services_of(context), body["trigger_id"], str(context.team_id), str(context.user_id)
    )


def register(app: AsyncApp) -> None:
    app.action(ids.OPEN_CONNECT)(open_connect)
