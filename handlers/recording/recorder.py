"""Recording deploys and custom events in Cortex, once per request, and telling the channel.

Both the `/cortex deploy|event` commands and the modals end here. A claim keyed on the request's
origin (its trigger or view) and on what it records makes a Slack retry or a double click a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.cortex.models import Entity, NewCustomEvent, NewDeploy
from bot.errors import ApiError, CallError, UnavailableError
from bot.services import Services
from handlers.common.context import post_message, tell_user
from handlers.common.kit import Message, context
from handlers.common.mrkdwn import Mrkdwn
from handlers.recording.blocks import deploy_recorded, event_recorded

log = logging.getLogger(__name__)

T = TypeVar("T")


def tagged(listing: Iterable[Entity], tag: str) -> Entity | None:
    """The service tagged exactly `tag` in a catalog's listing (what resolving a tag found)."""
    return next((service for service in listing if service.tag == tag), None)


@dataclass(frozen=True)
class Origin:
    """Who asked, where, and which Slack request (trigger or view) carried the ask."""

    team_id: str
    user_id: str
    channel_id: str | None
    request_id: str
    # How to answer the person privately when the channel is closed to the bot, if there is a way.
    respond: Callable[[Message], Awaitable[None]] | None = None


@dataclass(frozen=True)
class Recorder:
    services: Services
    client: AsyncWebClient
    catalog: Catalog
    origin: Origin

    async def deploy(self, tag: str, deploy: NewDeploy) -> None:
        recorded = await self._once(
            "deploy", tag, deploy, lambda: self.catalog.add_deploy(tag, deploy)
        )
        if recorded is not None:
            name = await self._name(tag)
            await self.announce(deploy_recorded(self.origin.user_id, name, tag, recorded))

    async def event(self, tag: str, event: NewCustomEvent) -> None:
        recorded = await self._once(
            "event", tag, event, lambda: self.catalog.add_custom_event(tag, event)
        )
        if recorded is not None:
            name = await self._name(tag)
            await self.announce(event_recorded(self.origin.user_id, name, tag, recorded))

    async def _name(self, tag: str) -> str:
        """The service's name, as news names it; its tag when Cortex has no name for it or cannot
        say. Taken from the catalog's listing, which resolving the tag (or the form's check of it)
        has just read, so no request is made for it; else from the entity, which resolving reads
        (and caches) for a service created since that listing."""
        listed = tagged(await self.catalog.known_services(), tag)
        try:
            service = listed or (await self.catalog.entity(tag)).value
            return service.name.strip() or tag
        except CallError as error:
            log.info("announcing a recording on %s by its tag: %s", tag, type(error).__name__)
            return tag

    async def _once(
        self,
        kind: str,
        tag: str,
        what: NewDeploy | NewCustomEvent,
        write: Callable[[], Awaitable[T]],
    ) -> T | None:
        """`write`'s result the first time this request asks for it; None for a repeat. A write
        Cortex refused (say, 404 for a service it does not know) releases the claim, so asking
        again later is not taken for a repeat; one that may have been applied keeps it."""
        origin = self.origin
        # The time is left out: a command's record is stamped when its request is handled, so a
        # Slack retry of it carries the same content at a later time.
        parts = (kind, origin.request_id, tag, what.model_dump_json(exclude={"timestamp"}))
        claims = self.services.claims
        if not await claims.claim(origin.team_id, *parts):
            log.info("ignored a repeated %s request for %s in %s", kind, tag, origin.team_id)
            return None
        try:
            return await write()
        except ApiError as error:
            if not isinstance(error, UnavailableError):
                await claims.release(origin.team_id, *parts)
            raise

    async def announce(self, news: Message) -> None:
        """News for the channel; if the bot may not post there, the person who asked hears."""
        origin = self.origin
        if origin.channel_id:
            try:
                await post_message(self.client, origin.channel_id, news)
                return
            except SlackApiError as error:
                log.info("cannot post in %s (%s)", origin.channel_id, error.response.get("error"))
        if origin.respond is not None:
            note = context(Mrkdwn("Invite me to this channel to share these with everyone."))
            await origin.respond(Message(news.text, [*news.blocks, note]))
        else:
            await tell_user(self.client, origin.user_id, origin.channel_id, news)
