"""The `/cortex help` answer and the answer to a malformed command."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from handlers.blocks.common import connect_button, not_connected_blocks, trimmed
from handlers.commands.grammar import SUBCOMMANDS, ParseError

EXAMPLES = (
    "`/cortex payments-api` — the service card",
    "`/cortex search checkout` — find services",
    '`/cortex deploy payments-api "Release 4.2" env=prod sha=1a2b3c4` — record a deploy',
    "`/cortex oncall payments-api` — who is on call now",
)


def help_blocks(*, connected: bool, admin: bool) -> list[Block]:
    usage = "\n".join(f"`{line}`" for line in SUBCOMMANDS.values())
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


def parse_error_blocks(error: ParseError) -> list[Block]:
    lines = [error.message]
    if error.suggestion:
        lines.append(f"Did you mean `/cortex {error.suggestion}`?")
    lines.append(f"Usage: `{error.usage}`")
    return [SectionBlock(text=MarkdownTextObject(text=trimmed("\n".join(lines))))]
