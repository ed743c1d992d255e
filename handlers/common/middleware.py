"""The request context as a Bolt middleware, so requests over HTTP and Socket Mode get it alike.

It runs on verified requests only (`bot.web` verifies them before Bolt sees them), before
authorisation (`before_authorize`, in `bot.app`): every log line of the request, and of the
background work it starts, names its workspace, kind and a request id; and the time from here to
the ack is `cortex_bot_ack_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.observability import ACK_SECONDS, begin_request

# The types of Slack's interactivity payloads and envelopes: what a request is when it is no
# command and no event.
PAYLOAD_TYPES = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "event_callback",
        "url_verification",
        "app_rate_limited",
    }
)
OTHER = "other"
KIND_KEY = "request_kind"


def kind_of(body: dict[str, Any]) -> str:
    """The kind of a Slack request: the command, event or payload type."""
    kind = body.get("command") or _part(body, "event").get("type") or body.get("type")
    return str(kind or OTHER)


def team_of(body: dict[str, Any]) -> str:
    return str(body.get("team_id") or _part(body, "team").get("id") or "")


def _part(body: dict[str, Any], name: str) -> dict[str, Any]:
    found = body.get(name)
    return found if isinstance(found, dict) else {}


def kind_label(context: AsyncBoltContext) -> str:
    """The request's kind as metrics and logs name it (see `request_context`)."""
    return str(context.get(KIND_KEY) or OTHER)


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


Middleware = Callable[
    [dict[str, Any], AsyncBoltContext, Callable[[], Awaitable[None]]], Awaitable[None]
]


def request_context(kinds: frozenset[str]) -> Middleware:
    """The middleware, labelling requests by kind from `kinds` (the app's command, the events it
    subscribes to, Slack's payload types) and anything else as `other`: a label's values stay a
    fixed set whatever requests come."""
    known = kinds | PAYLOAD_TYPES

    async def middleware(
        body: dict[str, Any], context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]
    ) -> None:
        kind = kind_of(body)
        label = kind if kind in known else OTHER
        context[KIND_KEY] = label
        begin_request(team_of(body), label)
        context["ack"] = TimedAck(label)
        await next_()

    return middleware
