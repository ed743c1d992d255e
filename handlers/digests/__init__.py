"""Digests: `/cortex digest …`, the list's Delete button, and the scheduled posts (`job.py`)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.digests import listeners
from handlers.digests.grammar import parse_digest

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand(
        "digest",
        "digest daily|weekly [at HH:MM] [group=G] [owner=TEAM] [env=E] [on=mon..sun] "
        "/ digest list / digest off / digest now",
        parse_digest,
        listeners.digest_command,
        task=Task.DIGESTS,
        does="deploys, rollbacks and catalog changes posted in this channel daily or weekly; "
        "also list, off, now",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    app.action(ids.DIGEST_DELETE)(acked(listeners.delete_digest))
