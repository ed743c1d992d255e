"""`/cortex help`, an empty `/cortex`, and the answer to a command that does not parse."""

from __future__ import annotations

import asyncio

from handlers.blocks.help import help_blocks, parse_error_blocks
from handlers.commands.grammar import Help, ParseError
from handlers.context import Invocation, is_admin


async def show_help(invocation: Invocation, _command: Help) -> None:
    services = invocation.services
    admin, connection = await asyncio.gather(
        is_admin(invocation.client, services, invocation.user_id),
        services.workspaces.get(invocation.team_id),
    )
    await invocation.respond(
        text="What /cortex can do",
        blocks=help_blocks(connected=connection is not None, admin=admin),
        response_type="ephemeral",
    )


async def explain_parse_error(invocation: Invocation, error: ParseError) -> None:
    await invocation.respond(
        text=error.message, blocks=parse_error_blocks(error), response_type="ephemeral"
    )
