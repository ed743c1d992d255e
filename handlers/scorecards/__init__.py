"""Scorecards in Slack: one service across its scorecards, one scorecard across its services."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.scorecards import grammar, listeners

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand(
        "scores",
        "scores <tag>",
        grammar.parse_scores,
        listeners.scores,
        task=Task.LOOK_UP,
        does="a service's scorecards: the rules it fails and what the next level needs",
    ),
    Subcommand(
        "scorecard",
        "scorecard <name or tag>",
        grammar.parse_scorecard,
        listeners.scorecard,
        task=Task.LOOK_UP,
        does="one scorecard across its services, those failing it first",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS: tuple[Shortcut, ...] = ()


def register(app: AsyncApp) -> None:
    app.action(ids.SHOW_SCORES)(acked(listeners.show_scores))
    app.action(ids.SHOW_SCORECARD)(acked(listeners.show_scorecard))
    app.action(ids.OPEN_SCORECARD)(listeners.open_scorecard)
