"""The messages that confirm a recording in the channel."""

from __future__ import annotations

from bot.cortex.models import CustomEvent, Deploy
from handlers.common.blocks import deploy_line
from handlers.common.mrkdwn import Mrkdwn, link, mention, moment


def deploy_recorded(user_id: str, tag: str, deploy: Deploy) -> Mrkdwn:
    return Mrkdwn("{} recorded a deploy of `{}`: {}").format(
        mention(user_id), tag, deploy_line(deploy)
    )


def event_recorded(user_id: str, tag: str, event: CustomEvent) -> Mrkdwn:
    return Mrkdwn("{} added a *{}* event to `{}`: {}, {}").format(
        mention(user_id), event.type, tag, link(event.url, event.title), moment(event.timestamp)
    )
