"""The aiohttp application: HTTP endpoints and the process-wide resources they share."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.cache import ResponseCache
from bot.config import Settings
from bot.cortex import cortex_api
from bot.http import JsonApi

SETTINGS = web.AppKey("settings", Settings)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
CORTEX_API = web.AppKey("cortex_api", JsonApi)
RESPONSE_CACHE = web.AppKey("response_cache", ResponseCache)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _shared_resources(app: web.Application) -> AsyncIterator[None]:
    # One outbound session for the whole process, closed when the server stops.
    async with aiohttp.ClientSession() as session:
        app[HTTP_SESSION] = session
        app[CORTEX_API] = cortex_api(session)
        app[RESPONSE_CACHE] = ResponseCache()
        yield


def create_web_app(settings: Settings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_shared_resources)
    app.router.add_get("/healthz", healthz)
    return app
