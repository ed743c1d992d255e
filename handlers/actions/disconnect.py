"""The disconnect confirmation buttons."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers import ids
from handlers.context import require_admin, services_of

log = logging.getLogger(__name__)


async def confirm_disconnect(
    ack: AsyncAck, respond: AsyncRespond, client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    services = services_of(context)
    user_id, team_id = str(context.user_id), str(context.team_id)
    await require_admin(client, services, user_id, "disconnect Cortex")
    await services.workspaces.forget(team_id)
    log.info("workspace %s disconnected by %s", team_id, user_id)
    await respond(
        replace_original=True,
        text=f"Disconnected: <@{user_id}> deleted this workspace's Cortex and Rootly keys.",
    )


async def cancel_disconnect(ack: AsyncAck, respond: AsyncRespond) -> None:
    await ack()
    await respond(delete_original=True)


def register(app: AsyncApp) -> None:
    app.action(ids.DISCONNECT_CONFIRM)(confirm_disconnect)
    app.action(ids.DISCONNECT_CANCEL)(cancel_disconnect)
