"""The aiohttp application: Slack's endpoints, Rootly's webhook, the health check, and the process's
resources."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.app import (
    INSTALL_PATH,
    REDIRECT_PATH,
    SLACK_EVENTS_PATH,
    attach_slack,
    build_bolt_app,
    incident_deliveries,
    scheduled_jobs,
)
from bot.autopilot import Deliveries, Verdict
from bot.autopilot.setup import WEBHOOK_PATH
from bot.autopilot.signature import SIGNATURE_HEADER
from bot.cache import Clock
from bot.config import Settings
from bot.crypto import Keyring
from bot.http import RetryPolicy
from bot.scheduler import Scheduler
from bot.services import Services, open_services
from bot.storage import database_health

log = logging.getLogger(__name__)

ROOTLY_WEBHOOK_PATH = WEBHOOK_PATH + "{token}"
# Rootly's deliveries are one incident each: a larger body is refused unread.
MAX_WEBHOOK_BYTES = 1024 * 1024
SERVICES = web.AppKey("services", Services)
BOLT_APP = web.AppKey("bolt_app", AsyncApp)
VERIFIER = web.AppKey("verifier", SignatureVerifier)
DELIVERIES = web.AppKey("deliveries", Deliveries)
WEBHOOK_REFUSALS = {Verdict.REJECTED: 401, Verdict.MALFORMED: 400}


async def healthz(request: web.Request) -> web.Response:
    """503 when the database does not answer or its schema is behind this code (`cortex-bot
    migrate`); a schema a newer release migrated is healthy. Stored keys or tokens that the
    configured ENCRYPTION_KEYS cannot open leave the process serving (admins reconnect through
    it) but make it `degraded`, with how many workspaces are affected. Redis is reported, not
    required."""
    services = request.app[SERVICES]
    health = await database_health(services.engine)
    report = {
        "status": "ok",
        "database": "ok" if health.answers else "unreachable",
        "schema": health.schema.value,
    }
    if not health.usable:
        return web.json_response({**report, "status": "unhealthy"}, status=503)
    unreadable = await services.workspaces.unreadable()
    if services.installations is not None:
        unreadable += await services.installations.unreadable()
    if unreadable:
        report["status"] = "degraded"
        report["stored_keys"] = (
            f"{unreadable} workspace(s) hold keys or tokens that ENCRYPTION_KEYS cannot open"
        )
    if services.redis is not None:
        # Without Redis each process keeps its own budget and cache.
        report["redis"] = "ok" if await services.redis.answers() else "unreachable"
    return web.json_response(report)


# Slack's timestamp header: seconds since the epoch, in ASCII digits (anything else is refused
# before it reaches a parser that could fail on it).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


def _verified(verifier: SignatureVerifier, body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether Slack signed this request (Slack's "Verifying requests from Slack"): a recent
    timestamp and an HMAC of it and the body under the signing secret, compared in constant time."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (_TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
        return False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return verifier.is_valid(text, timestamp, signature)


Fields = dict[str, Any]


class SlackPayload(BaseModel):
    """The envelope every Slack request shares, as far as Bolt and the listeners read it before
    anything else: a payload whose parts are not the objects Slack sends is not one."""

    model_config = ConfigDict(extra="allow")

    type: str | None = None
    command: str | None = None
    team_id: str | None = None
    team: Fields | None = None
    user: Fields | None = None
    channel: Fields | None = None
    event: Fields | None = None
    view: Fields | None = None
    message: Fields | None = None
    actions: list[Fields] | None = None
    authorizations: list[Fields] | None = None

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data:
            raise ValueError("a Slack payload is an object with fields")
        return data


async def slack_events(request: web.Request) -> web.Response:
    """Slack's one endpoint. No request is parsed, logged, counted or acted on before its
    signature is verified on the raw bytes: one that fails gets 401 here, before Bolt, our
    middleware or the error handler see it (Bolt's own check, which logs the body it refuses, is
    off). A signed body that is not a Slack payload gets 400."""
    body = await request.read()
    if not _verified(request.app[VERIFIER], body, request.headers):
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"), query=request.query_string, headers=dict(request.headers)
        )
    except Exception as error:  # Bolt reads the body as it builds the request, whatever it holds
        log.warning("a signed request is not a Slack payload (%s)", type(error).__name__)
        return web.json_response({"error": "malformed request"}, status=400)
    try:
        SlackPayload.model_validate(bolt_request.body)
    except ValidationError as error:
        log.warning("a signed request is not a Slack payload (%d problems)", error.error_count())
        return web.json_response({"error": "malformed request"}, status=400)
    return await to_aiohttp_response(await request.app[BOLT_APP].async_dispatch(bolt_request))


async def rootly_webhook(request: web.Request) -> web.Response:
    """A Rootly delivery: answered as soon as it is verified; the work goes on in the background.
    Neither the body nor the token ever reaches a log."""
    body = await _body_at_most(request, MAX_WEBHOOK_BYTES)
    if body is None:
        log.warning("Rootly webhook rejected: a body over %d bytes", MAX_WEBHOOK_BYTES)
        return web.json_response({"ok": False, "error": "too large"}, status=413)
    verdict = await request.app[DELIVERIES].accept(
        request.match_info["token"], request.headers.get(SIGNATURE_HEADER), body
    )
    if verdict is Verdict.ACCEPTED:
        return web.json_response({"ok": True})
    return web.json_response({"ok": False, "error": verdict}, status=WEBHOOK_REFUSALS[verdict])


async def _body_at_most(request: web.Request, limit: int) -> bytes | None:
    """The request's body, or None as soon as it is known to be longer than `limit`."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_any():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _oauth_flow(request: web.Request) -> AsyncOAuthFlow:
    flow = request.app[BOLT_APP].oauth_flow
    assert flow is not None, "OAuth routes are only added when OAuth is configured"
    return flow


async def slack_install(request: web.Request) -> web.Response:
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(await _oauth_flow(request).handle_installation(bolt_request))


async def slack_oauth_redirect(request: web.Request) -> web.Response:
    bolt_request = await to_bolt_request(request)
    return await to_aiohttp_response(await _oauth_flow(request).handle_callback(bolt_request))


def _lifecycle(
    settings: Settings, keyring: Keyring, retry_policy: RetryPolicy | None, clock: Clock
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def open_and_close(app: web.Application) -> AsyncIterator[None]:
        async with open_services(settings, keyring, retry_policy, clock) as services:
            app[SERVICES] = services
            attach_slack(services)
            bolt = app[BOLT_APP] = build_bolt_app(services)
            app[DELIVERIES] = incident_deliveries(services)
            scheduler = Scheduler(scheduled_jobs(services))
            scheduler.start()
            socket_mode = None
            if settings.slack_app_token is not None:
                app_token = settings.slack_app_token.get_secret_value()
                socket_mode = AsyncSocketModeHandler(bolt, app_token)
                # Connecting retries until Slack answers; health and metrics must not wait for it.
                connecting = socket_mode.connect_async()  # type: ignore[no-untyped-call]
                connection = services.tasks.spawn(connecting, "socket mode connection")
            yield
            await scheduler.stop()
            if socket_mode is not None:
                connection.cancel()  # a connection still being retried is not work to drain
                await socket_mode.close_async()  # type: ignore[no-untyped-call]

    return open_and_close


def create_web_app(
    settings: Settings,
    keyring: Keyring,
    retry_policy: RetryPolicy | None = None,
    clock: Clock = time.monotonic,
) -> web.Application:
    """The whole app. Tests pass a quicker `retry_policy` and a `clock` they can move."""
    app = web.Application()
    app.cleanup_ctx.append(_lifecycle(settings, keyring, retry_policy, clock))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if settings.slack_signing_secret is not None:
        app[VERIFIER] = SignatureVerifier(settings.slack_signing_secret.get_secret_value())
        app.router.add_post(SLACK_EVENTS_PATH, slack_events)
    app.router.add_post(ROOTLY_WEBHOOK_PATH, rootly_webhook)
    if settings.uses_oauth:
        app.router.add_get(INSTALL_PATH, slack_install)
        app.router.add_get(REDIRECT_PATH, slack_oauth_redirect)
    return app
