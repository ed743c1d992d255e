"""Uninstalling the app, or revoking its bot token, deletes the workspace's tokens and keys."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from bot.digests.store import DigestStore
from bot.sync.engine import SyncEngine
from handlers.background import acked
from handlers.context import Invocation

log = logging.getLogger(__name__)

EVENTS = ("app_uninstalled", "tokens_revoked")


async def forget_workspace(invocation: Invocation) -> None:
    services, team_id = invocation.services, invocation.team_id
    if services.installations is not None:
        await services.installations.async_delete_all(
            enterprise_id=invocation.body.get("enterprise_id"), team_id=team_id
        )
    had_keys = await services.workspaces.forget(team_id)
    await DigestStore(services.engine).forget_workspace(team_id)
    await SyncEngine(services).schedules.forget(team_id)
    log.info("workspace %s uninstalled the app; keys deleted: %s", team_id, had_keys)


async def tokens_revoked(invocation: Invocation) -> None:
    # Only the bot token matters: the app asks for no user tokens.
    if invocation.body["event"].get("tokens", {}).get("bot"):
        await forget_workspace(invocation)


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(acked(forget_workspace))
    app.event("tokens_revoked")(acked(tokens_revoked))
