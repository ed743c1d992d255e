"""The App Home tab: this workspace's connection, its last sync and its schedules."""

from __future__ import annotations

import asyncio

from slack_bolt.async_app import AsyncApp

from bot.digests.store import DigestStore
from bot.sync.engine import SyncEngine
from handlers.background import acked
from handlers.blocks.home import home_view
from handlers.context import Invocation

EVENTS = ("app_home_opened",)


async def publish_home(invocation: Invocation, user_id: str) -> None:
    services = invocation.services
    team_id = invocation.team_id
    connection = await services.workspaces.get(team_id)
    if connection is None:
        view = home_view(None)
    else:
        status, digests = await asyncio.gather(
            SyncEngine(services).status(team_id),
            DigestStore(services.engine).for_workspace(team_id),
        )
        view = home_view(connection, status, digests)
    await invocation.client.views_publish(user_id=user_id, view=view)


async def app_home_opened(invocation: Invocation) -> None:
    event = invocation.body["event"]
    if event.get("tab") == "home":
        await publish_home(invocation, event["user"])


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(acked(app_home_opened))
