"""The answer to `help`, with a *Connect Cortex* button for admins."""

from __future__ import annotations

import asyncio

from handlers.common.commands import Listing
from handlers.common.context import Invocation, is_admin
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn
from handlers.help.blocks import help_blocks


async def show_help(invocation: Invocation, listing: Listing) -> None:
    services = invocation.services
    admin, connection = await asyncio.gather(
        is_admin(invocation.client, services, invocation.team_id, invocation.user_id),
        services.workspaces.describe(invocation.team_id),
    )
    slash = invocation.slash
    blocks = help_blocks(listing.usages, slash, connected=connection is not None, admin=admin)
    await invocation.respond(Message(Mrkdwn("What {} can do").format(slash), blocks))
