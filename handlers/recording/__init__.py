"""Recording deploys and custom events: the commands, the modals, the card's buttons, the message
shortcut."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.recording import grammar, listeners
from handlers.recording.modals import deploy_errors, event_errors

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand(
        "deploy",
        "deploy <tag> <title words> [env=E] [sha=S] "
        f"[type={'|'.join(grammar.DEPLOY_TYPES)}] [url=U]",
        grammar.parse_deploy,
        listeners.deploy,
        task=Task.RECORD,
        does="record a deploy in Cortex with you as the deployer (without a title: a form)",
    ),
    Subcommand(
        "event",
        "event <tag> [<title words>] [type=T] [url=U]",
        grammar.parse_event,
        listeners.event,
        task=Task.RECORD,
        does="record a custom event in Cortex (anything missing: a form)",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS = (
    Shortcut(
        ids.RECORD_EVENT_SHORTCUT,
        "Record as Cortex event",
        "message",
        "Record this message as a custom event on a Cortex service",
    ),
)


def register(app: AsyncApp) -> None:
    app.action(ids.RECORD_DEPLOY)(acked(listeners.record_deploy))
    app.action(ids.ADD_EVENT)(acked(listeners.add_event))
    app.view(ids.DEPLOY_VIEW)(listeners.submission(deploy_errors, listeners.submit_deploy))
    app.view(ids.EVENT_VIEW)(listeners.submission(event_errors, listeners.submit_event))
    for shortcut in SHORTCUTS:
        app.shortcut(shortcut.callback_id)(acked(listeners.record_message_as_event))
    app.options(ids.ENVIRONMENT_SELECT)(listeners.environment_options)
    app.options(ids.EVENT_TYPE_SELECT)(listeners.event_type_options)
