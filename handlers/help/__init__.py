"""`help` (and the slash command alone): what the bot can do, listed from the registry."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common.commands import Listing, Subcommand
from handlers.common.shortcuts import Shortcut
from handlers.help import listeners

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    # Whatever follows, the person asked for help, so help is what they get.
    Subcommand("help", "help", lambda _arguments: Listing(), listeners.show_help),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    """Help has no listener of its own: the command router runs it."""
