"""App Home: the workspace at a glance when someone opens the app's Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common.acking import acked
from handlers.common.commands import Subcommand
from handlers.common.shortcuts import Shortcut
from handlers.home import listeners

SUBCOMMANDS: tuple[Subcommand[Any], ...] = ()
EVENTS = ("app_home_opened",)
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(acked(listeners.app_home_opened))
