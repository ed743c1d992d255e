"""Domain errors → one plain sentence for the user, in one place, and a log line for operators.

Listeners let errors propagate; the app-wide error handler registered here logs them with context
and answers through `respond` when the request has a response URL.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Block

from bot.crypto import DecryptionError
from bot.errors import (
    ApiError,
    BotError,
    InvalidRequestError,
    NotAdminError,
    NotConnectedError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    UnavailableError,
)
from handlers.blocks.common import not_connected_blocks, plain_blocks

log = logging.getLogger(__name__)


def user_message(error: BaseException) -> str:
    """One sentence a person can act on; never a stack trace, never a secret."""
    match error:
        case NotConnectedError():
            return (
                "This workspace is not connected to Cortex yet: an admin can run `/cortex connect`."
            )
        case NotAdminError(action=action):
            return (
                f"Only workspace admins and owners can {action}. "
                "Ask one of them, or ask to be added to BOT_ADMINS."
            )
        case UnauthorizedError(service=service):
            return (
                f"{service} refused this workspace's API key: it may have expired or lack "
                "permission. An admin can update it with `/cortex connect`."
            )
        case NotFoundError(service=service):
            return f"{service} does not know that: {_detail(error)}."
        case RateLimitedError(service=service, retry_after=seconds):
            wait = f" in {seconds:.0f} s" if seconds else " in a minute"
            return f"{service} is rate limiting this workspace; try again{wait}."
        case UnavailableError(service=service):
            return (
                f"{service} is not answering right now ({_detail(error)}); try again in a minute."
            )
        case InvalidRequestError(service=service):
            return f"{service} rejected the request: {_detail(error)}."
        case DecryptionError():
            return (
                "This workspace's stored keys cannot be read with the configured encryption keys; "
                "an operator must restore ENCRYPTION_KEYS or an admin must run `/cortex connect`."
            )
        case _:
            return "Something went wrong on our side and it has been logged; please try again."


def _detail(error: ApiError) -> str:
    return error.detail.rstrip(".")


def blocks_for(error: BaseException) -> list[Block]:
    if isinstance(error, NotConnectedError):
        return not_connected_blocks()
    return plain_blocks(user_message(error))


async def handle_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> None:
    known = isinstance(error, BotError | DecryptionError)
    log.log(
        logging.WARNING if known else logging.ERROR,
        "listener failed: team=%s user=%s kind=%s: %s",
        context.team_id,
        context.user_id,
        body.get("command") or body.get("type"),
        error,
        exc_info=not known,
    )
    if context.respond is not None:
        await context.respond(
            text=user_message(error), blocks=blocks_for(error), response_type="ephemeral"
        )


def register(app: AsyncApp) -> None:
    app.error(handle_error)
