"""The connect modal, in each of its states, and the disconnect confirmation."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.workspaces import Connection, masked
from handlers import ids

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


def _text(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=markdown))


def loading_view() -> View:
    return _modal([_text("Loading this workspace's connection…")])


def refusal_view() -> View:
    return _modal(
        [
            _text(
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
        _text(
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
    return _modal([_text(connection_summary(connection))], close="Done")


def connection_summary(connection: Connection) -> str:
    rootly = (
        f"connected, key `{masked(connection.rootly_key_last4)}`"
        if connection.rootly_key_last4
        else "not connected"
    )
    return (
        f":white_check_mark: Connected to Cortex at {connection.cortex_url} with key "
        f"`{masked(connection.cortex_key_last4)}`.\n"
        f"Rootly: {rootly}.\n"
        f"Connected by <@{connection.connected_by}> "
        f"<!date^{int(connection.connected_at.timestamp())}^{{date_short_pretty}} at {{time}}|"
        f"{connection.connected_at:%Y-%m-%d %H:%M} UTC>."
    )


def disconnect_confirmation(connection: Connection) -> list[Block]:
    return [
        _text(
            f"Disconnect this workspace from Cortex at {connection.cortex_url}? The stored Cortex "
            "key" + (" and Rootly key" if connection.has_rootly else "") + " will be deleted."
        ),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Disconnect"),
                    action_id=ids.DISCONNECT_CONFIRM,
                    style="danger",
                ),
                ButtonElement(text=PlainTextObject(text="Cancel"), action_id=ids.DISCONNECT_CANCEL),
            ]
        ),
        ContextBlock(elements=[MarkdownTextObject(text="Only admins can confirm.")]),
    ]
