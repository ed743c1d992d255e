"""The messages that confirm a recording in the channel."""

from __future__ import annotations

from bot.cortex.models import CustomEvent, Deploy
from handlers.common.blocks import deploy_line, escaped, moment


def deploy_recorded(user_id: str, tag: str, deploy: Deploy) -> str:
    return f"<@{user_id}> recorded a deploy of `{escaped(tag)}`: {deploy_line(deploy)}"


def event_recorded(user_id: str, tag: str, event: CustomEvent) -> str:
    title = escaped(event.title)
    title = f"<{event.url}|{title}>" if event.url else title
    return (
        f"<@{user_id}> added a *{escaped(event.type)}* event to `{escaped(tag)}`: {title}, "
        f"{moment(event.timestamp)}"
    )
