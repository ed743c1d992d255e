"""Recording deploys and custom events in Cortex, once per request, and telling the channel.

Both the `/cortex deploy|event` commands and the modals end here. A claim keyed on the request's
origin (its trigger or view) and on what it records makes a Slack retry or a double click a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.cortex.models import NewCustomEvent, NewDeploy
from bot.services import Services
from handlers.common.context import tell_user
from handlers.recording.blocks import deploy_recorded, event_recorded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Origin:
    """Who asked, where, and which Slack request (trigger or view) carried the ask."""

    team_id: str
    user_id: str
    channel_id: str | None
    request_id: str
    # How to answer the person privately when the channel is closed to the bot, if there is a way.
    respond: Callable[..., Awaitable[None]] | None = None


@dataclass(frozen=True)
class Recorder:
    services: Services
    client: AsyncWebClient
    catalog: Catalog
    origin: Origin

    async def deploy(self, tag: str, deploy: NewDeploy) -> None:
        if await self._first_time("deploy", tag, deploy.model_dump_json(exclude={"timestamp"})):
            recorded = await self.catalog.add_deploy(tag, deploy)
            await self.announce(deploy_recorded(self.origin.user_id, tag, recorded))

    async def event(self, tag: str, event: NewCustomEvent) -> None:
        if await self._first_time("event", tag, event.model_dump_json()):
            recorded = await self.catalog.add_custom_event(tag, event)
            await self.announce(event_recorded(self.origin.user_id, tag, recorded))

    async def _first_time(self, kind: str, tag: str, body: str) -> bool:
        origin = self.origin
        if await self.services.claims.claim(origin.team_id, kind, origin.request_id, tag, body):
            return True
        log.info("ignored a repeated %s request for %s in %s", kind, tag, origin.team_id)
        return False

    async def announce(self, text: str) -> None:
        """News for the channel; if the bot may not post there, the person who asked hears."""
        origin = self.origin
        if origin.channel_id:
            try:
                await self.client.chat_postMessage(
                    channel=origin.channel_id, text=text, unfurl_links=False
                )
                return
            except SlackApiError as error:
                log.info("cannot post in %s (%s)", origin.channel_id, error.response.get("error"))
        if origin.respond is not None:
            note = "\n_(Invite the Cortex app to this channel to share these with everyone.)_"
            await origin.respond(text=text + note, response_type="ephemeral")
        else:
            await tell_user(self.client, origin.user_id, origin.channel_id, text)
