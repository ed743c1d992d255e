"""The `/cortex help` answer."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from handlers.common.blocks import connect_button, not_connected_blocks
from handlers.common.kit import context, header, section
from handlers.common.mrkdwn import Mrkdwn

EXAMPLES = (
    "`/cortex payments-api` — the service card",
    "`/cortex search checkout` — find services",
    '`/cortex deploy payments-api "Release 4.2" env=prod sha=1a2b3c4` — record a deploy',
    "`/cortex oncall payments-api` — who is on call now",
)


def help_blocks(usages: Sequence[str], *, connected: bool, admin: bool) -> list[Block]:
    usage = Mrkdwn("\n").join(Mrkdwn("`{}`").format(line) for line in usages)
    blocks: list[Block] = [
        header("Cortex for Slack"),
        section(Mrkdwn("Look up services, record deploys and events, and keep Rootly in step.")),
        section(usage),
        section(Mrkdwn("*Examples*\n{}").format(Mrkdwn("\n").join(map(Mrkdwn, EXAMPLES)))),
    ]
    if not connected:
        blocks += not_connected_blocks() if admin else not_connected_blocks()[:1]
    elif admin:
        blocks += [context(Mrkdwn("Admins can change the keys:")), connect_button()]
    return blocks
