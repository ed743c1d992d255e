"""Uninstalling the app, or revoking its bot token, deletes the workspace's tokens and keys."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from handlers.context import services_of

log = logging.getLogger(__name__)


async def forget_workspace(context: AsyncBoltContext) -> None:
    services = services_of(context)
    team_id = str(context.team_id)
    if services.installations is not None:
        await services.installations.async_delete_all(
            enterprise_id=context.enterprise_id, team_id=context.team_id
        )
    had_keys = await services.workspaces.forget(team_id)
    log.info("workspace %s uninstalled the app; keys deleted: %s", team_id, had_keys)


async def app_uninstalled(context: AsyncBoltContext) -> None:
    await forget_workspace(context)


async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    # Only the bot token matters: the app asks for no user tokens.
    if event.get("tokens", {}).get("bot"):
        await forget_workspace(context)


EVENTS = ("app_uninstalled", "tokens_revoked")


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
