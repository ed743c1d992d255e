"""The Slack side: one package per feature, and the shared plumbing in `handlers.common`.

Each feature package has `register(app)` (every action, view, option, event and shortcut it
listens for), `SUBCOMMANDS` (its entries in the slash command's registry), and the `EVENTS` and
`SHORTCUTS` the app manifest lists. Features import the core (`bot/`) and `handlers.common`, never
each other; the import contracts in pyproject.toml check it (`lint-imports`).
"""

from __future__ import annotations

from typing import Any, Protocol

from slack_bolt.async_app import AsyncApp

from handlers import (
    autopilot,
    connect,
    digests,
    help,
    home,
    incident,
    lookup,
    recording,
    scorecards,
    sync,
)
from handlers.common import errors
from handlers.common.commands import Commands, Subcommand
from handlers.common.shortcuts import Shortcut


class Feature(Protocol):
    """What every feature package declares (read-only, so a module's own tuples fit)."""

    @property
    def SUBCOMMANDS(self) -> tuple[Subcommand[Any], ...]: ...

    @property
    def EVENTS(self) -> tuple[str, ...]: ...

    @property
    def SHORTCUTS(self) -> tuple[Shortcut, ...]: ...

    def register(self, app: AsyncApp) -> None: ...


# In the order of the product's command table: help lists the subcommands in this order.
FEATURES: tuple[Feature, ...] = (
    help,
    connect,
    lookup,
    recording,
    incident,
    sync,
    digests,
    scorecards,
    autopilot,
    home,
)
COMMANDS = Commands([entry for feature in FEATURES for entry in feature.SUBCOMMANDS])
# The Events API subscriptions and shortcuts the app manifest lists (`bot.app.app_manifest`).
BOT_EVENTS = tuple(event for feature in FEATURES for event in feature.EVENTS)
SHORTCUTS = tuple(shortcut for feature in FEATURES for shortcut in feature.SHORTCUTS)


def request_kinds(slash: str) -> frozenset[str]:
    """The kinds of request the app answers besides Slack's payload types (its slash command and
    events): what metrics label by name."""
    return frozenset({slash, *BOT_EVENTS})


def register_all(app: AsyncApp, slash: str) -> None:
    """Every feature's listeners, and the router of `slash` (SLACK_COMMAND)."""
    errors.register(app)
    COMMANDS.register(app, slash)
    for feature in FEATURES:
        feature.register(app)
