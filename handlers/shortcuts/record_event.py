"""The message shortcut "Record as Cortex event": the event modal, prefilled from the message."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from handlers import ids
from handlers.background import acked
from handlers.blocks.common import trimmed
from handlers.blocks.recording import TITLE_LIMIT, event_modal
from handlers.commands.grammar import RecordEvent
from handlers.context import Invocation


def _title(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return trimmed(first_line.strip(), TITLE_LIMIT)


async def record_message_as_event(invocation: Invocation) -> None:
    body, client = invocation.body, invocation.client
    message, channel = body["message"], invocation.channel_id
    text = message.get("text", "")
    when = datetime.fromtimestamp(float(message["ts"]), UTC)
    prefill = RecordEvent(title=_title(text) or None)
    # Open first (the trigger lasts 3 s), then add the link to the message once Slack gives it.
    opened = await client.views_open(
        trigger_id=body["trigger_id"],
        view=event_modal(prefill, channel, description=text, when=when),
    )
    permalink = await client.chat_getPermalink(channel=channel, message_ts=message["ts"])
    with_link = RecordEvent(title=prefill.title, url=permalink["permalink"])
    try:
        await client.views_update(
            view_id=opened["view"]["id"],
            hash=opened["view"]["hash"],
            view=event_modal(with_link, channel, description=text, when=when),
        )
    except SlackApiError as error:
        # hash_conflict: the person already edited the modal; their input wins over the link.
        if error.response.get("error") != "hash_conflict":
            raise


def register(app: AsyncApp) -> None:
    app.shortcut(ids.RECORD_EVENT_SHORTCUT)(acked(record_message_as_event))
