"""The workspace's connection: `connect` and its modal (open at once, fill it, check the keys
live on submit, store them sealed), `disconnect` and its confirmation, and forgetting
the workspace when the app is uninstalled or its bot token revoked."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.egress import UrlRefusedError
from bot.errors import (
    ApiError,
    BotError,
    KeyNotEnteredForUrlError,
    NotConnectedError,
    UnauthorizedError,
)
from bot.http import RetryPolicy
from bot.services import Services
from bot.workspaces import Connection, NewKeys
from handlers.common import ids
from handlers.common.acking import continue_in_background
from handlers.common.context import Invocation, is_admin, services_of
from handlers.common.errors import KEY_FOR_NEW_URL, URL_REFUSALS
from handlers.common.home import publish_home
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn, mention
from handlers.connect.blocks import disconnect_confirmation
from handlers.connect.grammar import Connect, Disconnect
from handlers.connect.modals import connect_form, connected_view, loading_view, refusal_view

log = logging.getLogger(__name__)

# The whole submission must be answered within Slack's 3 s, checks included.
KEY_CHECK = RetryPolicy(attempts=1, request_timeout=2.2, deadline=2.2)


async def open_connect_modal(invocation: Invocation) -> None:
    """Open the modal first (the trigger expires in 3 s), then fill it once we know enough."""
    client, services = invocation.client, invocation.services
    opened = await invocation.open_loading_modal(loading_view())
    admin, existing = await asyncio.gather(
        is_admin(client, services, invocation.team_id, invocation.user_id),
        services.workspaces.describe(invocation.team_id),
    )
    slash = invocation.slash
    default_url = services.settings.cortex_base_url
    view = connect_form(existing, default_url, slash) if admin else refusal_view(slash)
    await client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)


def _value(state: dict[str, Any], block_id: str, action_id: str) -> str:
    return str(state.get(block_id, {}).get(action_id, {}).get("value") or "").strip()


def _read_form(view: dict[str, Any], default_url: str) -> NewKeys:
    state = view["state"]["values"]
    return NewKeys(
        cortex_url=(
            _value(state, ids.CONNECT_CORTEX_URL_BLOCK, ids.CONNECT_CORTEX_URL) or default_url
        ).rstrip("/"),
        cortex_key=_value(state, ids.CONNECT_CORTEX_KEY_BLOCK, ids.CONNECT_CORTEX_KEY) or None,
        rootly_key=_value(state, ids.CONNECT_ROOTLY_KEY_BLOCK, ids.CONNECT_ROOTLY_KEY) or None,
    )


def _form_errors(services: Services, keys: NewKeys, stored: Connection | None) -> dict[str, str]:
    """What is wrong with the form itself, before anything is sent anywhere; `stored`: the
    connection whose keys an empty field keeps (None when there is none, or its keys cannot be
    opened)."""
    errors = {}
    if keys.cortex_key is None:
        if stored is None:
            errors[ids.CONNECT_CORTEX_KEY_BLOCK] = "Enter your Cortex API key."
        elif keys.cortex_url != stored.cortex_url:
            errors[ids.CONNECT_CORTEX_KEY_BLOCK] = KEY_FOR_NEW_URL
    try:
        services.egress.rules.check(keys.cortex_url)
    except UrlRefusedError as refused:
        errors[ids.CONNECT_CORTEX_URL_BLOCK] = URL_REFUSALS[refused.refusal]
    return errors


def _cortex_problem(error: BotError, default_url: str) -> tuple[str, str]:
    if isinstance(error, UnauthorizedError):
        return ids.CONNECT_CORTEX_KEY_BLOCK, (
            "Cortex refused this key: check it was copied whole and has not expired."
        )
    if isinstance(error, UrlRefusedError):
        return ids.CONNECT_CORTEX_URL_BLOCK, URL_REFUSALS[error.refusal]
    # Whatever the URL answered (an error page, a redirect, a closed port, nothing) is never
    # repeated, nor told apart: it may be any server on the bot's network.
    return ids.CONNECT_CORTEX_URL_BLOCK, (
        f"No Cortex API answered at this URL. Check it is the API's address ({default_url} "
        "unless your Cortex is self-managed)."
    )


def _rootly_problem(error: BotError) -> tuple[str, str]:
    if isinstance(error, UnauthorizedError):
        return ids.CONNECT_ROOTLY_KEY_BLOCK, (
            "Rootly refused this key: check it was copied whole and has not expired."
        )
    detail = error.detail if isinstance(error, ApiError) else str(error)
    return ids.CONNECT_ROOTLY_KEY_BLOCK, f"Could not check the key with Rootly ({detail})."


async def _live_check_errors(services: Services, team_id: str, keys: NewKeys) -> dict[str, str]:
    """Check each new key with a cheap read (a Cortex key at the URL it was entered for, never a
    stored one at a new URL); inline errors keyed by block."""
    checks: list[tuple[Awaitable[None], Callable[[BotError], tuple[str, str]]]] = []
    default_url = services.settings.cortex_base_url
    if keys.cortex_key is not None:
        cortex = services.cortex_client(keys.cortex_url, keys.cortex_key)
        checks.append((cortex.check_access(KEY_CHECK), lambda e: _cortex_problem(e, default_url)))
    if keys.rootly_key:
        rootly = services.rootly_client(keys.rootly_key)
        checks.append((rootly.check_access(KEY_CHECK), _rootly_problem))
    outcomes = await asyncio.gather(*(check for check, _ in checks), return_exceptions=True)
    errors = {}
    for outcome, (_, explain) in zip(outcomes, checks, strict=True):
        if isinstance(outcome, ApiError | UrlRefusedError):
            log.info("connect check for %s at %s failed: %s", team_id, keys.cortex_url, outcome)
            block_id, message = explain(outcome)
            errors[block_id] = message
        elif isinstance(outcome, BaseException):
            raise outcome
    return errors


async def submit_connect(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Check and store the keys (admins only: see where it is registered)."""
    services = services_of(context)
    slash = services.settings.slack_command
    team_id, user_id = str(context.team_id), str(context.user_id)
    existing = await services.workspaces.describe(team_id)
    stored = await services.workspaces.get(team_id) if existing and existing.keys_readable else None
    keys = _read_form(view, services.settings.cortex_base_url)
    errors = _form_errors(services, keys, stored) or await _live_check_errors(
        services, team_id, keys
    )
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    try:
        connection = await services.workspaces.save(team_id, keys, connected_by=user_id)
    except KeyNotEnteredForUrlError:  # another admin changed the URL meanwhile
        await ack(response_action="errors", errors={ids.CONNECT_CORTEX_KEY_BLOCK: KEY_FOR_NEW_URL})
        return
    await ack(response_action="update", view=connected_view(connection, slash))
    log.info("workspace %s connected to %s by %s", team_id, keys.cortex_url, user_id)
    continue_in_background(
        lambda invocation: publish_home(invocation, user_id),
        Invocation.of(context, client, body),
        context,
    )


async def connect_command(invocation: Invocation, _command: Connect) -> None:
    await open_connect_modal(invocation)


async def open_connect(invocation: Invocation) -> None:
    """The "Connect Cortex" button (help, App Home, not-connected answers)."""
    await open_connect_modal(invocation)


# --- disconnecting (admins only, declared where these are registered) ----------------------------


async def disconnect_command(invocation: Invocation, _command: Disconnect) -> None:
    """Asks to confirm (keys that cannot be opened can be forgotten all the same)."""
    connection = await invocation.services.workspaces.describe(invocation.team_id)
    if connection is None:
        raise NotConnectedError(invocation.team_id)
    question = Message(Mrkdwn("Disconnect Cortex?"), disconnect_confirmation(connection))
    await invocation.respond(question)


async def confirm_disconnect(invocation: Invocation) -> None:
    # The autopilot's webhook is deleted with the Rootly key, so before it is forgotten.
    await invocation.services.autopilot.turn_off(invocation.team_id)
    await invocation.services.workspaces.forget(invocation.team_id)
    log.info("workspace %s disconnected by %s", invocation.team_id, invocation.user_id)
    done = Mrkdwn("Disconnected: {} deleted this workspace's keys.").format(
        mention(invocation.user_id)
    )
    await invocation.respond(Message(done), replace_original=True)


async def cancel_disconnect(invocation: Invocation) -> None:
    await invocation.respond(Message(Mrkdwn("Cancelled.")), delete_original=True)


# --- uninstalling the app, or revoking its bot token, deletes the workspace's tokens and keys ----


async def forget_workspace(invocation: Invocation) -> None:
    services, team_id = invocation.services, invocation.team_id
    if services.installations is not None:
        await services.installations.async_delete_all(
            enterprise_id=invocation.body.get("enterprise_id"), team_id=team_id
        )
    await services.autopilot.forget_workspace(team_id)  # with the Rootly key, so first
    had_keys = await services.workspaces.forget(team_id)
    await services.digests.forget_workspace(team_id)
    await services.sync.forget(team_id)
    log.info("workspace %s uninstalled the app; keys deleted: %s", team_id, had_keys)


async def tokens_revoked(invocation: Invocation) -> None:
    # Only the bot token matters: the app asks for no user tokens.
    if invocation.body["event"].get("tokens", {}).get("bot"):
        await forget_workspace(invocation)
