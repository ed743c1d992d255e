"""The bot token to call Slack with outside a request, refreshed first when token rotation is on.

Bolt refreshes rotating tokens only while it handles an incoming request, so work that calls Slack
on its own schedule (digests, the sync reading channel ids) refreshes the workspace's token
itself, as Bolt would, and saves it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation.async_rotator import AsyncTokenRotator
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import Services

log = logging.getLogger(__name__)

# `bot.app.slack_client`: a Web API client on the shared session and SLACK_API_URL. It is passed
# in rather than imported: bot.app imports the handlers, so importing it would be a cycle.
ClientFactory = Callable[[Services, str | None], AsyncWebClient]

# As Bolt does: a token expiring within this many minutes is refreshed before use.
ROTATE_MINUTES_BEFORE_EXPIRY = 120


async def workspace_client(
    services: Services, new_client: ClientFactory, team_id: str
) -> AsyncWebClient | None:
    """A Web API client with the workspace's bot token; None when the app is not installed there.
    `SlackTokenRotationError` when Slack refuses to refresh a rotating token."""
    token = await bot_token(services, team_id, new_client(services, None))
    return None if token is None else new_client(services, token)


async def bot_token(services: Services, team_id: str, oauth_client: AsyncWebClient) -> str | None:
    """The workspace's bot token (SLACK_BOT_TOKEN in single-workspace mode); None when the app is
    not installed there. A rotating token is refreshed through `oauth_client` (a client without a
    token); `SlackTokenRotationError` when Slack refuses to refresh it."""
    settings = services.settings
    store = services.installations
    if store is None:
        token = settings.slack_bot_token
        return None if token is None else token.get_secret_value()
    bot = await store.async_find_bot(enterprise_id=None, team_id=team_id)
    if bot is None:
        return None
    refreshed = await _rotated(services, bot, oauth_client)
    if refreshed is not None:
        await store.async_save_bot(refreshed)
        log.info("refreshed the bot token of %s before using it", team_id)
        bot = refreshed
    return str(bot.bot_token)


async def _rotated(services: Services, bot: Bot, oauth_client: AsyncWebClient) -> Bot | None:
    settings = services.settings
    if not bot.bot_refresh_token or settings.slack_client_secret is None:
        return None
    rotator = AsyncTokenRotator(
        client_id=settings.slack_client_id or "",
        client_secret=settings.slack_client_secret.get_secret_value(),
        client=oauth_client,
    )
    refreshed: Bot | None = await rotator.perform_bot_token_rotation(
        bot=bot, minutes_before_expiration=ROTATE_MINUTES_BEFORE_EXPIRY
    )
    return refreshed
