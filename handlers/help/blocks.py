"""The answer to `help`, naming the app's slash command."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from handlers.common.blocks import connect_button, not_connected_blocks
from handlers.common.kit import context, header, section
from handlers.common.mrkdwn import Mrkdwn

EXAMPLES = (
    ("payments-api", "the service card"),
    ("search checkout", "find services"),
    ('deploy payments-api "Release 4.2" env=prod sha=1a2b3c4', "record a deploy"),
    ("oncall payments-api", "who is on call now"),
)


def help_blocks(usages: Sequence[str], slash: str, *, connected: bool, admin: bool) -> list[Block]:
    usage = Mrkdwn("\n").join(Mrkdwn("`{}`").format(line) for line in usages)
    examples = Mrkdwn("\n").join(
        Mrkdwn("`{} {}` — {}").format(slash, words, what) for words, what in EXAMPLES
    )
    blocks: list[Block] = [
        header("Cortex for Slack"),
        section(Mrkdwn("Look up services, record deploys and events, and keep Rootly in step.")),
        section(usage),
        section(Mrkdwn("*Examples*\n{}").format(examples)),
    ]
    if not connected:
        not_connected = not_connected_blocks(slash)
        blocks += not_connected if admin else not_connected[:1]
    elif admin:
        blocks += [context(Mrkdwn("Admins can change the keys:")), connect_button()]
    return blocks
