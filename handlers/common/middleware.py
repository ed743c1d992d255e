"""The request context as a Bolt middleware, so requests over HTTP and Socket Mode get it alike.

It runs right after Slack's signature is verified and before authorisation (`before_authorize`, in
`bot.app`): every log line of the request, and of the background work it starts, names its
workspace, command and a request id; and the time from here to the ack is `cortex_bot_ack_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.observability import ACK_SECONDS, begin_request


def kind_of(body: dict[str, Any]) -> str:
    """The kind of a Slack request, for logs and metrics: the command, event or payload type."""
    kind = body.get("command") or (body.get("event") or {}).get("type") or body.get("type")
    return str(kind or "unknown")


def team_of(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or (body.get("team") or {}).get("id") or "")


class TimedAck(AsyncAck):
    """Bolt's ack, observing how long the request waited for it."""

    def __init__(self, kind: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._kind = kind
        self._started = time.perf_counter()

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response: BoltResponse = await super().__call__(*args, **kwargs)
        ACK_SECONDS.labels(self._kind).observe(time.perf_counter() - self._started)
        return response


async def request_context(
    body: dict[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
) -> None:
    kind = kind_of(body)
    begin_request(team_of(body), kind)
    context["ack"] = TimedAck(kind)
    await next_()
