"""The Bolt app: Slack authentication, installation and authorisation, and every listener."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

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
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
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
