"""The connect modal, in each of its states: loading, refused, the form, connected."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.workspaces import Connection, masked
from handlers.common import ids
from handlers.common.blocks import connection_summary, section

TITLE = "Connect Cortex"


def _modal(blocks: list[Block], *, submit: str | None = None, close: str = "Close") -> View:
    return View(
        type="modal",
        callback_id=ids.CONNECT_VIEW,
        title=PlainTextObject(text=TITLE),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        blocks=blocks,
    )


def loading_view() -> View:
    return _modal([section("Loading this workspace's connection…")])


def refusal_view() -> View:
    return _modal(
        [
            section(
                "Only workspace admins and owners can connect Cortex. Ask one of them to run "
                "`/cortex connect`, or ask the bot's operator to add you to BOT_ADMINS."
            )
        ]
    )


def _key_input(
    block_id: str, action_id: str, label: str, hint: str, stored_last4: str | None, optional: bool
) -> InputBlock:
    placeholder = f"{masked(stored_last4)} stored: leave empty to keep it" if stored_last4 else None
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        optional=optional or stored_last4 is not None,
        hint=PlainTextObject(text=hint),
        element=PlainTextInputElement(
            action_id=action_id,
            placeholder=PlainTextObject(text=placeholder) if placeholder else None,
            max_length=500,
        ),
    )


def connect_form(existing: Connection | None, default_url: str) -> View:
    cortex_url = existing.cortex_url if existing else default_url
    blocks: list[Block] = [
        section(
            "Keys are checked live, stored encrypted, and only their last four characters are "
            "ever shown again."
        ),
        _key_input(
            ids.CONNECT_CORTEX_KEY_BLOCK,
            ids.CONNECT_CORTEX_KEY,
            "Cortex API key",
            "Cortex → Settings → API keys.",
            existing.cortex_key_last4 if existing else None,
            optional=False,
        ),
        InputBlock(
            block_id=ids.CONNECT_CORTEX_URL_BLOCK,
            label=PlainTextObject(text="Cortex API URL"),
            optional=True,
            hint=PlainTextObject(text=f"Only for a self-managed Cortex. Default: {default_url}"),
            element=PlainTextInputElement(
                action_id=ids.CONNECT_CORTEX_URL, initial_value=cortex_url, max_length=500
            ),
        ),
        _key_input(
            ids.CONNECT_ROOTLY_KEY_BLOCK,
            ids.CONNECT_ROOTLY_KEY,
            "Rootly API key (optional)",
            "Needed for `/cortex sync` and for linking incidents.",
            existing.rootly_key_last4 if existing else None,
            optional=True,
        ),
    ]
    return _modal(blocks, submit="Connect", close="Cancel")


def connected_view(connection: Connection) -> View:
    return _modal([section(connection_summary(connection))], close="Done")
