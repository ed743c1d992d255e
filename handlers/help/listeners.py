"""The answer to `/cortex help`, with a *Connect Cortex* button for admins."""

from __future__ import annotations

import asyncio

from handlers.common.commands import Listing
from handlers.common.context import Invocation, is_admin
from handlers.help.blocks import help_blocks


async def show_help(invocation: Invocation, listing: Listing) -> None:
    services = invocation.services
    admin, connection = await asyncio.gather(
        is_admin(invocation.client, services, invocation.user_id),
        services.workspaces.get(invocation.team_id),
    )
    await invocation.respond(
        text="What /cortex can do",
        blocks=help_blocks(listing.usages, connected=connection is not None, admin=admin),
        response_type="ephemeral",
    )
