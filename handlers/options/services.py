"""The service picker's typeahead: best matches first, from the cached catalog, at most 100."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Option

from bot.errors import BotError
from handlers import ids
from handlers.blocks.common import trimmed
from handlers.context import catalog_of

log = logging.getLogger(__name__)

OPTIONS_LIMIT = 100
OPTION_TEXT_LIMIT = 75


async def service_options(
    ack: AsyncAck, payload: dict[str, Any], context: AsyncBoltContext
) -> None:
    # An options load can only be answered with options, so failures become an empty list.
    try:
        catalog = await catalog_of(context)
        matches = await catalog.typeahead(payload.get("value", ""), OPTIONS_LIMIT)
    except BotError as error:
        log.warning("no service options for team %s: %s", context.team_id, error)
        await ack(options=[])
        return
    options = [
        Option(value=entity.tag, label=trimmed(f"{entity.name} ({entity.tag})", OPTION_TEXT_LIMIT))
        for entity in matches
    ]
    await ack(options=options)


def register(app: AsyncApp) -> None:
    app.options(ids.SERVICE_SELECT)(service_options)
    app.options(ids.INCIDENT_SERVICES)(service_options)
