"""Blocks several features share."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers import ids

SECTION_TEXT_LIMIT = 3000


def trimmed(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Text cut to Slack's limit on a whole character, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def plain_blocks(text: str) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=trimmed(text)))]


def connect_button() -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text="Connect Cortex"), action_id=ids.OPEN_CONNECT, style="primary"
    )


def not_connected_blocks() -> list[Block]:
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=(
                    "This workspace is not connected to Cortex yet. A workspace admin can connect "
                    "it with `/cortex connect` (a Cortex API key, and optionally a Rootly key)."
                )
            )
        ),
        ActionsBlock(elements=[connect_button()]),
    ]
