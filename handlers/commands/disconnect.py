"""`/cortex disconnect` (admins): asks to confirm; handlers/actions/disconnect has the buttons."""

from __future__ import annotations

from handlers.blocks.connect import disconnect_confirmation
from handlers.commands.grammar import Disconnect
from handlers.context import Invocation, require_admin


async def disconnect(invocation: Invocation, _command: Disconnect) -> None:
    services = invocation.services
    await require_admin(invocation.client, services, invocation.user_id, "disconnect Cortex")
    connection = await services.connection(invocation.team_id)
    await invocation.respond(
        text="Disconnect Cortex?",
        blocks=disconnect_confirmation(connection),
        response_type="ephemeral",
    )
