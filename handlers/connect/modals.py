"""The connect modal, in each of its states: loading, refused, the form, connected."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, InputBlock, PlainTextInputElement
from slack_sdk.models.views import View

from bot.workspaces import ConnectionInfo, masked
from handlers.common import ids
from handlers.common.blocks import connection_summary, unreadable_keys
from handlers.common.kit import PLACEHOLDER_TEXT, modal, plain, section
from handlers.common.mrkdwn import Mrkdwn

TITLE = "Connect Cortex"


def _modal(blocks: list[Block], *, submit: str | None = None, close: str = "Close") -> View:
    return modal(ids.CONNECT_VIEW, TITLE, blocks, submit=submit, close=close)


def loading_view() -> View:
    return _modal([section(Mrkdwn("Loading this workspace's connection…"))])


def refusal_view(slash: str) -> View:
    return _modal(
        [
            section(
                Mrkdwn(
                    "Only workspace admins can connect Cortex: ask one of them to run `{} connect`."
                ).format(slash)
            )
        ]
    )


def _key_input(
    block_id: str, action_id: str, label: str, hint: str, kept_last4: str | None, optional: bool
) -> InputBlock:
    """A key field; `kept_last4`: the stored key an empty field keeps."""
    placeholder = f"{masked(kept_last4)} stored: leave empty to keep it" if kept_last4 else None
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        optional=optional or kept_last4 is not None,
        hint=plain(hint),
        element=PlainTextInputElement(
            action_id=action_id,
            placeholder=plain(placeholder, PLACEHOLDER_TEXT) if placeholder else None,
            max_length=500,
        ),
    )


def connect_form(existing: ConnectionInfo | None, default_url: str, slash: str) -> View:
    """The form; stored keys that can no longer be opened are said so, and cannot be kept."""
    cortex_url = existing.cortex_url if existing else default_url
    kept = existing if existing is not None and existing.keys_readable else None
    intro = Mrkdwn(
        "Keys are checked live, stored encrypted, and only their last four characters are "
        "ever shown again."
    )
    notes = [section(intro)]
    if existing is not None and not existing.keys_readable:
        notes.append(section(unreadable_keys(slash)))
    rootly_hint = "Needed for the Rootly sync and for linking services to incidents."
    if existing is not None and existing.has_rootly and kept is None:
        rootly_hint += " Left empty, the unreadable stored key is removed."
    blocks: list[Block] = [
        *notes,
        _key_input(
            ids.CONNECT_CORTEX_KEY_BLOCK,
            ids.CONNECT_CORTEX_KEY,
            "Cortex API key",
            "Cortex → Settings → API keys.",
            kept.cortex_key_last4 if kept else None,
            optional=False,
        ),
        InputBlock(
            block_id=ids.CONNECT_CORTEX_URL_BLOCK,
            label=plain("Cortex API URL"),
            optional=True,
            hint=plain(f"Only for a self-managed Cortex. Default: {default_url}"),
            element=PlainTextInputElement(
                action_id=ids.CONNECT_CORTEX_URL, initial_value=cortex_url, max_length=500
            ),
        ),
        _key_input(
            ids.CONNECT_ROOTLY_KEY_BLOCK,
            ids.CONNECT_ROOTLY_KEY,
            "Rootly API key",
            rootly_hint,
            kept.rootly_key_last4 if kept else None,
            optional=True,
        ),
    ]
    return _modal(blocks, submit="Connect", close="Cancel")


def connected_view(connection: ConnectionInfo, slash: str) -> View:
    return _modal([section(connection_summary(connection, slash))], close="Close")
