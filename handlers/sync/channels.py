"""The sync's `bot.sync.ChannelDirectory`: a workspace's Slack channels by name, from Slack.

Cortex knows a service's Slack channels by name; Rootly wants each channel's id too. This lists
the channels the bot can see (`conversations.list`: public channels with the `channels:read`
scope, private ones it is a member of with `groups:read`), once per sync that owns the field.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError

from bot.errors import ChannelsUnavailableError
from bot.services import Services
from handlers.common.errors import slack_error, slack_refusal
from handlers.common.tokens import ClientFactory, workspace_client

log = logging.getLogger(__name__)

# Slack's largest page of conversations.list.
PAGE_SIZE = 1000
# However many channels a workspace has, the sync reads at most this many pages of them.
MAX_PAGES = 100


class SlackChannels:
    def __init__(self, services: Services, new_client: ClientFactory) -> None:
        self._services = services
        self._new_client = new_client

    async def __call__(self, team_id: str) -> Mapping[str, str]:
        """Channel name → id; `ChannelsUnavailableError` says why Slack could not tell."""
        try:
            client = await workspace_client(self._services, self._new_client, team_id)
        except SlackTokenRotationError as error:
            raise ChannelsUnavailableError(_reason(error.api_error)) from None
        if client is None:
            raise ChannelsUnavailableError("the app is not installed in this workspace")
        channels: dict[str, str] = {}
        pages = 0
        try:
            async for page in await client.conversations_list(
                types="public_channel,private_channel", exclude_archived=True, limit=PAGE_SIZE
            ):
                channels |= {channel["name"]: channel["id"] for channel in page["channels"]}
                pages += 1
                if pages == MAX_PAGES:
                    log.warning("%s: only its first %d channels were read", team_id, len(channels))
                    break
        except SlackApiError as error:
            raise ChannelsUnavailableError(_reason(error)) from None
        except (aiohttp.ClientError, TimeoutError):
            raise ChannelsUnavailableError("Slack did not answer") from None
        return channels


def _reason(error: SlackApiError) -> str:
    log.warning("conversations.list refused: %s", slack_error(error))
    return slack_refusal(error).unescape()
