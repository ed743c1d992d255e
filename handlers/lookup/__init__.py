"""Looking services up: the card, search, deploys, on-call, the pickers' typeahead, the shortcut."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from handlers.common import ids
from handlers.common.acking import acked
from handlers.common.commands import Subcommand, Task
from handlers.common.shortcuts import Shortcut
from handlers.lookup import grammar, listeners

SUBCOMMANDS: tuple[Subcommand[Any], ...] = (
    Subcommand(
        "service",
        "service <tag or name>",
        parse=grammar.parse_service,
        handle=listeners.lookup,
        shorthand=grammar.parse_shorthand,
        task=Task.LOOK_UP,
        does="a service's card: owners, who is on call, recent deploys, scorecards, links",
    ),
    Subcommand(
        "search",
        "search <words>",
        grammar.parse_search,
        listeners.search,
        task=Task.LOOK_UP,
        does="find services by name, tag, description or owner",
    ),
    Subcommand(
        "deploys",
        "deploys <tag>",
        grammar.parse_deploys,
        listeners.deploys,
        task=Task.LOOK_UP,
        does="a service's deploys, newest first",
    ),
    Subcommand(
        "oncall",
        "oncall <tag>",
        grammar.parse_oncall,
        listeners.oncall,
        task=Task.LOOK_UP,
        does="who is on call for a service now",
    ),
)
EVENTS: tuple[str, ...] = ()
SHORTCUTS = (
    Shortcut(
        ids.LOOKUP_SHORTCUT,
        "Look up a service",
        "global",
        "Show a service's owners, on-call, links and recent deploys from Cortex",
    ),
)


def register(app: AsyncApp) -> None:
    app.action(ids.SHOW_SERVICE)(acked(listeners.show_service))
    app.action(ids.MORE_DEPLOYS)(acked(listeners.more_deploys))
    app.action(ids.MORE_RESULTS)(acked(listeners.more_results))
    app.action(ids.OPEN_IN_CORTEX)(listeners.open_in_cortex)
    app.options(ids.SERVICE_SELECT)(listeners.service_options)
    app.options(ids.INCIDENT_SERVICES)(listeners.service_options)
    for shortcut in SHORTCUTS:
        app.shortcut(shortcut.callback_id)(acked(listeners.open_lookup))
    app.action(ids.OPEN_LOOKUP)(acked(listeners.open_lookup))
    app.view(ids.LOOKUP_VIEW)(listeners.show_card)
