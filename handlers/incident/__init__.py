"""Incident context: `/cortex incident`, its two shortcuts, and the modal they open."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.incident import listeners
from handlers.incident.grammar import parse_incident

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand(
        "incident",
        "incident",
        parse_incident,
        listeners.incident_command,
        task=Task.INCIDENTS,
        does="what changed in the affected services and who is on call; "
        "attach them to the Rootly incident",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS = (
    Shortcut(
        ids.INCIDENT_SHORTCUT,
        "Incident context",
        "global",
        "Gather owners, on-call and recent changes of the affected services",
    ),
    Shortcut(
        ids.INCIDENT_MESSAGE_SHORTCUT,
        "Incident context",
        "message",
        "Gather the affected services' context for the incident in this channel",
    ),
)


def register(app: AsyncApp) -> None:
    app.action(ids.INCIDENT_SERVICES)(acked(listeners.refresh))
    app.action(ids.INCIDENT_ACTIONS)(acked(listeners.refresh))
    app.view(ids.INCIDENT_VIEW)(listeners.submit_incident)
    for shortcut in SHORTCUTS:
        app.shortcut(shortcut.callback_id)(acked(listeners.open_incident_modal))
