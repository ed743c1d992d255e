"""The floor for ack latency: a Bolt app on the same aiohttp adapter that only acks `/cortex`.

PORT=3100 SLACK_SIGNING_SECRET=... SLACK_API_URL=... python -m bench.bare_bolt
"""

from __future__ import annotations

import os

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def bare_app() -> web.Application:
    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-bare-bolt", base_url=os.environ["SLACK_API_URL"]),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    @bolt.command("/cortex")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


if __name__ == "__main__":
    web.run_app(bare_app(), port=int(os.environ["PORT"]), print=None)
