"""The incident autopilot: Rootly's webhooks in, each incident's Cortex context out. No Slack here.

- `signature`: Rootly's `X-Rootly-Signature`, checked in constant time;
- `store`: each workspace's webhook (token digest, sealed secret) and each incident's message;
- `setup`: turning it on (registering the webhook in Rootly) and off;
- `context`: what the message says, read from Cortex in about two round trips;
- `timeline`: the line added to the incident's Rootly timeline;
- `deliveries`: verifying a delivery, then the background work that posts or updates the message.
"""

from bot.autopilot.context import Change, IncidentContext, ServiceContext
from bot.autopilot.deliveries import (
    Deliveries,
    Posted,
    Publisher,
    PublishError,
    Verdict,
)
from bot.autopilot.setup import Autopilot, ManualSetup, TurnedOff, TurnedOn, parse_window
from bot.autopilot.store import AutopilotSettings, AutopilotStore, LastDelivery, WebhookOutcome

__all__ = [
    "Autopilot",
    "AutopilotSettings",
    "AutopilotStore",
    "Change",
    "Deliveries",
    "IncidentContext",
    "LastDelivery",
    "ManualSetup",
    "Posted",
    "PublishError",
    "Publisher",
    "ServiceContext",
    "TurnedOff",
    "TurnedOn",
    "Verdict",
    "WebhookOutcome",
    "parse_window",
]
