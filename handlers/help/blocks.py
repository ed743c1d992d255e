"""The `/cortex help` answer."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.common.blocks import connect_button, not_connected_blocks, trimmed

EXAMPLES = (
    "`/cortex payments-api` — the service card",
    "`/cortex search checkout` — find services",
    '`/cortex deploy payments-api "Release 4.2" env=prod sha=1a2b3c4` — record a deploy',
    "`/cortex oncall payments-api` — who is on call now",
)


def help_blocks(usages: Sequence[str], *, connected: bool, admin: bool) -> list[Block]:
    usage = "\n".join(f"`{line}`" for line in usages)
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text="Cortex for Slack")),
        SectionBlock(
            text=MarkdownTextObject(
                text="Look up services, record deploys and events, and keep Rootly in step."
            )
        ),
        SectionBlock(text=MarkdownTextObject(text=trimmed(usage))),
        SectionBlock(text=MarkdownTextObject(text="*Examples*\n" + "\n".join(EXAMPLES))),
    ]
    if not connected:
        blocks += not_connected_blocks() if admin else not_connected_blocks()[:1]
    elif admin:
        blocks += [
            ContextBlock(elements=[MarkdownTextObject(text="Admins can change the keys:")]),
            ActionsBlock(elements=[connect_button()]),
        ]
    return blocks
