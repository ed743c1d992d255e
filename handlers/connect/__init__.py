"""The workspace's connection lifecycle: connect, disconnect, uninstall and revoked tokens."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked, admin_only, admin_submission
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.connect import listeners
from handlers.connect.grammar import parse_connect, parse_disconnect
from handlers.connect.modals import refusal_view

DISCONNECT = "disconnect Cortex"
SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    # The connect modal itself tells members that only admins may connect.
    Subcommand(
        "connect",
        "connect",
        parse_connect,
        listeners.connect_command,
        task=Task.ADMIN,
        does="connect this workspace to Cortex (and Rootly), or change the keys",
    ),
    Subcommand(
        "disconnect",
        "disconnect",
        parse_disconnect,
        listeners.disconnect_command,
        admin_only=DISCONNECT,
        task=Task.ADMIN,
        does="forget this workspace's keys",
    ),
)
EVENTS = ("app_uninstalled", "tokens_revoked")
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    app.action(ids.OPEN_CONNECT)(acked(listeners.open_connect))
    app.view(ids.CONNECT_VIEW)(admin_submission(refusal_view, listeners.submit_connect))
    app.action(ids.DISCONNECT_CONFIRM)(acked(admin_only(DISCONNECT, listeners.confirm_disconnect)))
    app.action(ids.DISCONNECT_CANCEL)(acked(listeners.cancel_disconnect))
    app.event("app_uninstalled")(acked(listeners.forget_workspace))
    app.event("tokens_revoked")(acked(listeners.tokens_revoked))
