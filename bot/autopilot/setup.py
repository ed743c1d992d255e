"""Turning the autopilot on and off: the workspace's webhook in Rootly, its token and secret.

On: a random token names the workspace in the webhook's URL (never its team id) and a random
secret signs the deliveries; the bot registers the endpoint in Rootly with both. When Rootly
refuses (the key may not manage webhooks), the URL and secret are handed back once, for an admin
to enter in Rootly by hand. Off: the endpoint is deleted and the secret forgotten.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.autopilot.store import AutopilotSettings, AutopilotStore, NewWebhook
from bot.errors import (
    ApiError,
    CallError,
    InvalidRequestError,
    NotFoundError,
    PublicUrlMissingError,
    RootlyNotConnectedError,
    UnauthorizedError,
)

if TYPE_CHECKING:  # the services hold the autopilot
    from bot.services import Services

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/rootly/webhooks/"
ENDPOINT_NAME = "Cortex Slack bot"
EVENT_TYPES = ("incident.created", "incident.updated", "incident.in_triage")
DEFAULT_WINDOW = timedelta(hours=24)
MIN_WINDOW = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=7)
_WINDOW = re.compile(r"(?P<amount>\d{1,5})\s*(?P<unit>m|min|h|d)", re.IGNORECASE)
_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1)}


def parse_window(text: str) -> timedelta | None:
    """`90m`, `24h`, `2d` as a look-back window; None for anything else or out of bounds."""
    found = _WINDOW.fullmatch(text.strip())
    if found is None:
        return None
    unit = _UNITS.get(found["unit"].lower(), timedelta(days=1))
    window = int(found["amount"]) * unit
    return window if MIN_WINDOW <= window <= MAX_WINDOW else None


@dataclass(frozen=True)
class ManualSetup:
    """What an admin enters in Rootly by hand when the bot may not register the webhook."""

    url: str
    secret: str
    event_types: tuple[str, ...]
    refusal: ApiError


@dataclass(frozen=True)
class TurnedOn:
    already_on: bool  # only the channel and window changed
    manual: ManualSetup | None  # shown once, then never again


@dataclass(frozen=True)
class TurnedOff:
    was_on: bool
    # Set when the endpoint may still be in Rootly: why it could not be deleted.
    left_in_rootly: CallError | RootlyNotConnectedError | None = None


class Autopilot:
    """One process's autopilot settings of every workspace: on, off, and what they are."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.store = AutopilotStore(services.engine, services.keyring)

    async def status(self, team_id: str) -> AutopilotSettings | None:
        return await self.store.get(team_id)

    async def turn_on(
        self, team_id: str, *, channel_id: str, window: timedelta, by: str, now: datetime
    ) -> TurnedOn:
        public_url = self._services.settings.public_base_url
        if public_url is None:
            raise PublicUrlMissingError()
        connection = await self._services.connection(team_id)
        if connection.rootly_key is None:
            raise RootlyNotConnectedError(team_id)
        if await self.store.change(team_id, channel_id=channel_id, window=window):
            return TurnedOn(already_on=True, manual=None)
        # Hex: the log redaction scrubs long runs of word characters, so a URL's token too.
        token, secret = secrets.token_hex(24), secrets.token_hex(32)
        url = public_url + WEBHOOK_PATH + token
        rootly = self._services.rootly_client(connection.rootly_key.get_secret_value())
        manual = None
        try:
            endpoint = await rootly.create_webhook_endpoint(
                name=f"{ENDPOINT_NAME} ({team_id})",
                url=url,
                secret=secret,
                event_types=EVENT_TYPES,
            )
        except (UnauthorizedError, InvalidRequestError, NotFoundError) as refusal:
            log.info("Rootly refused the webhook endpoint of %s: %s", team_id, refusal)
            manual = ManualSetup(url, secret, EVENT_TYPES, refusal)
            endpoint_id = None
        else:
            endpoint_id = endpoint.id
        await self.store.save(
            team_id,
            NewWebhook(token, secret, endpoint_id),
            channel_id=channel_id,
            window=window,
            enabled_by=by,
            now=now,
        )
        return TurnedOn(already_on=False, manual=manual)

    async def turn_off(self, team_id: str) -> TurnedOff:
        """Forget the secret first (deliveries stop being accepted), then delete the endpoint."""
        removed = await self.store.remove(team_id)
        if removed is None:
            return TurnedOff(was_on=False)
        return TurnedOff(was_on=True, left_in_rootly=await self._delete_endpoint(removed))

    async def forget_workspace(self, team_id: str) -> None:
        """The app was uninstalled: off, and every incident message forgotten too."""
        await self.turn_off(team_id)
        await self.store.forget_workspace(team_id)

    async def _delete_endpoint(
        self, removed: AutopilotSettings
    ) -> CallError | RootlyNotConnectedError | None:
        if removed.endpoint_id is None:
            return None
        connection = await self._services.workspaces.get(removed.team_id)
        if connection is None or connection.rootly_key is None:
            return RootlyNotConnectedError(removed.team_id)
        rootly = self._services.rootly_client(connection.rootly_key.get_secret_value())
        try:
            await rootly.delete_webhook_endpoint(removed.endpoint_id)
        except NotFoundError:
            return None  # someone deleted it in Rootly already
        except CallError as error:
            log.warning(
                "the Rootly webhook endpoint of %s could not be deleted: %s", removed.team_id, error
            )
            return error
        return None
