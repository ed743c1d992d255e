"""Blocks several features share."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NamedTuple

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers import ids


class Message(NamedTuple):
    """A message's fallback text (notifications, screen readers) and its blocks."""

    text: str
    blocks: list[Block]


SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
HEADER_TEXT_LIMIT = 150
BUTTON_TEXT_LIMIT = 75


def trimmed(text: str, limit: int = SECTION_TEXT_LIMIT) -> str:
    """Text cut to Slack's limit on a whole character, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escaped(text: str) -> str:
    """Text from Cortex shown as itself: Slack reads &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def moment(when: datetime) -> str:
    """A time Slack shows in each reader's own time zone."""
    epoch = int(when.timestamp())
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time}}|{fallback}>"


def section(markdown: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=trimmed(markdown)))


def context(markdown: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=trimmed(markdown))])


def button(
    text: str,
    action_id: str,
    value: str = "",
    *,
    style: str | None = None,
    url: str | None = None,
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=trimmed(text, BUTTON_TEXT_LIMIT)),
        action_id=action_id,
        value=value or None,
        style=style,
        url=url,
    )


def plain_blocks(text: str) -> list[Block]:
    return [section(text)]


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
