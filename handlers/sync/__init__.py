"""The Cortex → Rootly sync from Slack: `/cortex sync …`, the dry run's Apply button, and the
modal choosing the fields the sync owns."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked, admin_only, admin_submission
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.sync import listeners
from handlers.sync.grammar import parse_sync
from handlers.sync.modals import refusal_view

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    # Which of its actions are for admins only is declared with them, in `listeners.ACTIONS`.
    Subcommand(
        "sync",
        "sync [dry-run] / sync status / sync auto off|hourly|daily / sync fields",
        parse_sync,
        listeners.sync_command,
        task=Task.SYNC,
        does="copy Cortex's services into Rootly (admins; dry-run shows the plan first); "
        "also status for everyone, auto and fields",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    app.action(ids.SYNC_APPLY)(acked(admin_only(listeners.RUN_SYNC, listeners.apply_plan)))
    app.action(ids.SYNC_DRY_RUN)(acked(listeners.preview))
    app.view(ids.SYNC_FIELDS_VIEW)(admin_submission(refusal_view, listeners.submit_fields))
