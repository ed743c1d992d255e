"""The Bolt app: Slack authentication, installation and authorisation, every listener, and the
Slack app manifest that declares them (`cortex-bot manifest`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

import handlers
from bot.autopilot import Deliveries
from bot.installations import ExpiringOAuthStateStore
from bot.scheduler import DueJob
from bot.services import Services
from handlers.autopilot.publisher import SlackPublisher
from handlers.common.context import SERVICES_KEY
from handlers.common.middleware import request_context
from handlers.digests.job import digest_job
from handlers.sync.channels import SlackChannels

log = logging.getLogger(__name__)

BOT_SCOPES = (
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "users:read.email",
    # The sync gives Rootly Slack channel ids for Cortex's channel names: public channels, and
    # the private ones the bot is in.
    "channels:read",
    "groups:read",
    # A sync plan too long for a message goes in a text file.
    "files:write",
)
# Slash commands, interactivity, options loads and events all come to this one path.
SLACK_EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Our own names: Cortex's official Slack app is called Cortex, and a company may run both.
APP_NAME = "Cortex ChatOps"
BOT_NAME = "cortex-chatops"
OAUTH_STATE_SECONDS = 600
AUTHORIZATIONS_CACHED = 10_000
AUTHORIZATION_SECONDS = 3600.0


def slack_client(services: Services, token: str | None = None) -> AsyncWebClient:
    """A Web API client on the shared session and SLACK_API_URL, retrying Slack's rate limits."""
    return AsyncWebClient(
        token=token,
        base_url=services.settings.slack_base_url,
        session=services.slack_http,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


def _oauth_settings(services: Services) -> AsyncOAuthSettings:
    settings = services.settings
    assert settings.slack_client_secret is not None
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # The authorize page lives beside the Web API (GovSlack and test servers alike).
        authorization_url=settings.slack_base_url.removesuffix("api/") + "oauth/v2/authorize",
        installation_store=services.installations,
        installation_store_bot_only=True,
        state_store=ExpiringOAuthStateStore(
            expiration_seconds=OAUTH_STATE_SECONDS, engine=services.engine
        ),
    )
    # Remember auth.test results per token, so requests do not call it every time; Bolt's own
    # cache is a dict that grows with every token ever seen (rotation makes new ones).
    assert isinstance(oauth.authorize, AsyncInstallationStoreAuthorize)
    oauth.authorize.cache_enabled = True
    # Bolt types it as a dict but only reads, writes and tests membership: a TTLCache does.
    oauth.authorize.authorize_result_cache = TTLCache(  # type: ignore[assignment]
        maxsize=AUTHORIZATIONS_CACHED, ttl=AUTHORIZATION_SECONDS
    )
    return oauth


def attach_slack(services: Services) -> None:
    """Give the core what only Slack can tell it: the sync reads channel ids through the Web API.
    Every process that runs syncs (`serve`, `worker`, `cortex-bot sync`) calls this once."""
    services.sync.channels = SlackChannels(services, slack_client)


def incident_deliveries(services: Services) -> Deliveries:
    """The incident autopilot's receiver of Rootly's deliveries, posting with the Slack side."""
    return Deliveries(services, SlackPublisher(services, slack_client))


def scheduled_jobs(services: Services) -> list[DueJob]:
    """What the scheduler runs, in `serve` and in `worker` alike."""
    return [services.sync.auto_sync_job(), digest_job(services, slack_client)]


def app_manifest(public_url: str, slash: str) -> dict[str, Any]:
    """The Slack app manifest of a deployment reached at `public_url` that answers `slash`."""
    events_url = public_url + SLACK_EVENTS_PATH
    return {
        "display_information": {
            "name": APP_NAME,
            "description": (
                "Look up services, record deploys and events, and sync Rootly from your "
                "Cortex catalog."
            ),
            "background_color": "#4a2fbd",
        },
        "features": {
            # Messages tab read-only: where the bot tells someone about a modal's result when it
            # cannot post in a channel.
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": BOT_NAME, "always_online": True},
            "shortcuts": [
                {
                    "name": shortcut.name,
                    "type": shortcut.type,
                    "callback_id": shortcut.callback_id,
                    "description": shortcut.description,
                }
                for shortcut in handlers.SHORTCUTS
            ],
            "slash_commands": [
                {
                    "command": slash,
                    "url": events_url,
                    "description": "Look up services and record deploys and events in Cortex",
                    "usage_hint": "help | <tag> | search <words> | deploy <tag> <title> | connect",
                    "should_escape": True,
                }
            ],
        },
        "oauth_config": {
            "redirect_urls": [public_url + REDIRECT_PATH],
            "scopes": {"bot": list(BOT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": list(handlers.BOT_EVENTS),
            },
            "interactivity": {
                "is_enabled": True,
                "request_url": events_url,
                "message_menu_options_url": events_url,
            },
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def build_bolt_app(services: Services) -> AsyncApp:
    settings = services.settings
    signing_secret = settings.slack_signing_secret
    single_token = None if settings.uses_oauth else settings.slack_bot_token
    app = AsyncApp(
        client=slack_client(services, single_token.get_secret_value() if single_token else None),
        signing_secret=signing_secret.get_secret_value() if signing_secret else "",
        # bot.web verifies every HTTP request before Bolt parses it (Socket Mode needs none).
        request_verification_enabled=False,
        oauth_settings=_oauth_settings(services) if settings.uses_oauth else None,
        # Before authorisation, over HTTP and Socket Mode alike.
        before_authorize=request_context(handlers.request_kinds(settings.slack_command)),
    )

    async def provide_services(
        context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> None:
        context[SERVICES_KEY] = services
        await next_()

    app.use(provide_services)
    handlers.register_all(app, settings.slack_command)
    return app
