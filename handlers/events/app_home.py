"""The App Home tab: this workspace's connection status."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.workspaces import Connection
from handlers.blocks.home import home_view
from handlers.context import services_of


async def publish_home(client: AsyncWebClient, user_id: str, connection: Connection | None) -> None:
    await client.views_publish(user_id=user_id, view=home_view(connection))


async def app_home_opened(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("tab") != "home":
        return
    connection = await services_of(context).workspaces.get(str(context.team_id))
    await publish_home(client, event["user"], connection)


EVENTS = ("app_home_opened",)


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(app_home_opened)
