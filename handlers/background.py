"""Ack first, then the rest of a listener's work as a tracked task of its own.

Slack needs the ack within 3 s; whatever follows (Cortex calls, database reads, answers) continues
in `Services.tasks`. A failure reaches the same error handler as any listener's, so the person still
gets one plain sentence. (Bolt's own continuation can lose the ack when a listener fails within a
few milliseconds of acking, and answer Slack with a 404.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.observability import ANSWER_SECONDS, COMMANDS
from handlers.commands import grammar
from handlers.context import Invocation, services_of
from handlers.errors import report_error

Work = Callable[[Invocation], Coroutine[Any, Any, None]]
Listener = Callable[..., Coroutine[Any, Any, None]]


async def _reported(work: Work, invocation: Invocation, context: AsyncBoltContext) -> None:
    kind = _kind(invocation)
    started = time.perf_counter()
    outcome = "ok"
    try:
        await work(invocation)
    except Exception as error:
        outcome = type(error).__name__
        await report_error(error, invocation.body, context)
    finally:
        ANSWER_SECONDS.labels(kind).observe(time.perf_counter() - started)
        if invocation.body.get("command"):
            COMMANDS.labels(_subcommand(invocation), outcome).inc()


def _kind(invocation: Invocation) -> str:
    return str(invocation.body.get("command") or invocation.body.get("type") or "request")


def _subcommand(invocation: Invocation) -> str:
    # The first word names the subcommand; anything else is a lookup by tag, counted as one.
    first = str(invocation.body.get("text", "")).split(maxsplit=1)[:1]
    word = first[0].lower() if first else "help"
    return word if word in grammar.SUBCOMMANDS else "service"


def acked(work: Work) -> Listener:
    """A listener that acks at once and continues with `work` in the background."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        continue_in_background(work, Invocation.of(context, client, body), context)

    listener.__name__ = getattr(work, "__name__", "listener")
    return listener


def continue_in_background(work: Work, invocation: Invocation, context: AsyncBoltContext) -> None:
    label = f"{_kind(invocation)} in {invocation.team_id}"
    services_of(context).tasks.spawn(_reported(work, invocation, context), label)
