"""The `/cortex` listener: ack at once, parse, then hand the command to its feature."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers import ids
from handlers.background import acked
from handlers.commands import grammar, record, service
from handlers.commands.connect import connect
from handlers.commands.digest import digest_command
from handlers.commands.disconnect import disconnect
from handlers.commands.help import explain_parse_error, show_help
from handlers.commands.incident import incident
from handlers.commands.sync import sync_command
from handlers.context import Invocation

Subcommand = Callable[[Invocation, Any], Awaitable[None]]

SUBCOMMAND_HANDLERS: dict[type, Subcommand] = {
    grammar.Help: show_help,
    grammar.Connect: connect,
    grammar.Disconnect: disconnect,
    grammar.ServiceLookup: service.lookup,
    grammar.Search: service.search,
    grammar.Deploys: service.deploys,
    grammar.Oncall: service.oncall,
    grammar.RecordDeploy: record.deploy,
    grammar.RecordEvent: record.event,
    grammar.Incident: incident,
    grammar.Sync: sync_command,
    grammar.Digest: digest_command,
}


async def cortex_command(invocation: Invocation) -> None:
    parsed = grammar.parse_command(invocation.body.get("text", ""))
    if isinstance(parsed, grammar.ParseError):
        await explain_parse_error(invocation, parsed)
        return
    await SUBCOMMAND_HANDLERS[type(parsed)](invocation, parsed)


def register(app: AsyncApp) -> None:
    app.command(ids.COMMAND)(acked(cortex_command))
