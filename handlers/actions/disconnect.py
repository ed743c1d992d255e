"""The disconnect confirmation buttons."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp

from handlers import ids
from handlers.background import acked
from handlers.context import Invocation, require_admin

log = logging.getLogger(__name__)


async def confirm_disconnect(invocation: Invocation) -> None:
    services = invocation.services
    await require_admin(invocation.client, services, invocation.user_id, "disconnect Cortex")
    await services.workspaces.forget(invocation.team_id)
    log.info("workspace %s disconnected by %s", invocation.team_id, invocation.user_id)
    who = f"<@{invocation.user_id}>"
    await invocation.respond(
        replace_original=True, text=f"Disconnected: {who} deleted this workspace's keys."
    )


async def cancel_disconnect(invocation: Invocation) -> None:
    await invocation.respond(delete_original=True, text="Cancelled.")


def register(app: AsyncApp) -> None:
    app.action(ids.DISCONNECT_CONFIRM)(acked(confirm_disconnect))
    app.action(ids.DISCONNECT_CANCEL)(acked(cancel_disconnect))
