"""The `/cortex` listener: ack at once, parse, then hand the command to its feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from handlers import ids
from handlers.commands import grammar
from handlers.commands.connect import connect
from handlers.commands.disconnect import disconnect
from handlers.commands.help import explain_parse_error, show_help
from handlers.context import Invocation, services_of

Subcommand = Callable[[Invocation, Any], Awaitable[None]]

SUBCOMMAND_HANDLERS: dict[type, Subcommand] = {
    grammar.Help: show_help,
    grammar.Connect: connect,
    grammar.Disconnect: disconnect,
}


async def cortex_command(
    ack: AsyncAck,
    command: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await ack()
    invocation = Invocation(
        services=services_of(context),
        client=client,
        respond=respond,
        team_id=str(context.team_id),
        user_id=command["user_id"],
        channel_id=command.get("channel_id", ""),
        trigger_id=command.get("trigger_id", ""),
    )
    parsed = grammar.parse_command(command.get("text", ""))
    if isinstance(parsed, grammar.ParseError):
        await explain_parse_error(invocation, parsed)
        return
    await SUBCOMMAND_HANDLERS[type(parsed)](invocation, parsed)


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(cortex_command)
