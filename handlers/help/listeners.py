"""The answer to `help`, with examples on this workspace's services when they are known."""

from __future__ import annotations

import asyncio

from bot.cortex.models import Entity
from bot.workspaces import ConnectionInfo
from handlers.common.commands import Listing
from handlers.common.context import Invocation, is_admin
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn
from handlers.help.blocks import Example, help_blocks


async def _known_services(
    invocation: Invocation, connection: ConnectionInfo | None
) -> list[Entity]:
    """The catalog as last read, if it is cached: help never waits for Cortex."""
    if connection is None or not connection.keys_readable:
        return []
    return await (await invocation.catalog()).known_services()


async def show_help(invocation: Invocation, listing: Listing) -> None:
    services = invocation.services
    admin, connection = await asyncio.gather(
        is_admin(invocation.client, services, invocation.team_id, invocation.user_id),
        services.workspaces.describe(invocation.team_id),
    )
    slash = invocation.slash
    example = Example.among(await _known_services(invocation, connection))
    blocks = help_blocks(
        listing.lines, slash, example, connected=connection is not None, admin=admin
    )
    await invocation.respond(Message(Mrkdwn("What {} can do").format(slash), blocks))
