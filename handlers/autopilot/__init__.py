"""The incident autopilot from Slack: `/cortex incidents …`, and the message each Rootly incident
gets (posted from outside any request, by `publisher`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.autopilot import listeners
from handlers.autopilot.grammar import parse_incidents
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    # Which of its actions are for admins only is declared with them, in `listeners.ACTIONS`.
    Subcommand(
        "incidents",
        "incidents auto on [#channel] [window=24h] / incidents auto off / incidents status",
        parse_incidents,
        listeners.incidents_command,
        task=Task.INCIDENTS,
        does="post each new Rootly incident's Cortex context in its channel (admins); "
        "also auto off, and status for everyone",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    """The subcommand is all: the buttons of its message open cards (the lookup feature's)."""
