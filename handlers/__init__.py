"""Slack listeners, one module per feature, each with a `register(app)`.

Layout as in Slack's bolt-python starter template: `commands/`, `actions/`, `views/`, `events/`;
Block Kit builders live in `blocks/`, pure and separate from I/O.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import errors, ids
from handlers.actions import connect as connect_action
from handlers.actions import digest as digest_action
from handlers.actions import disconnect as disconnect_action
from handlers.actions import service as service_actions
from handlers.actions import sync as sync_actions
from handlers.commands import cortex
from handlers.events import app_home, uninstall
from handlers.options import services as service_options
from handlers.shortcuts import lookup, record_event
from handlers.views import connect as connect_view
from handlers.views import incident, record

FEATURES = (
    errors,
    cortex,
    connect_view,
    connect_action,
    disconnect_action,
    digest_action,
    service_actions,
    sync_actions,
    service_options,
    record,
    lookup,
    record_event,
    incident,
    app_home,
    uninstall,
)
# The Events API subscriptions manifest.yaml must list (a test keeps the two in step).
BOT_EVENTS = (*app_home.EVENTS, *uninstall.EVENTS)
SHORTCUTS = (
    ids.LOOKUP_SHORTCUT,
    ids.RECORD_EVENT_SHORTCUT,
    ids.INCIDENT_SHORTCUT,
    ids.INCIDENT_MESSAGE_SHORTCUT,
)


def register_all(app: AsyncApp) -> None:
    for feature in FEATURES:
        feature.register(app)
