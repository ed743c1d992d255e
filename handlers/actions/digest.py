"""The Delete button of `/cortex digest list`: deletes that digest and shows the list again."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.digests import DigestStore
from handlers import ids
from handlers.background import acked
from handlers.blocks.digest import list_message
from handlers.context import Invocation


async def delete_digest(invocation: Invocation) -> None:
    store = DigestStore(invocation.services.engine)
    deleted = await store.delete(invocation.team_id, invocation.value)
    channel_id = deleted.channel_id if deleted else invocation.channel_id
    message = list_message(await store.for_channel(invocation.team_id, channel_id))
    await invocation.respond(replace_original=True, text=message.text, blocks=message.blocks)


def register(app: AsyncApp) -> None:
    app.action(ids.DIGEST_DELETE)(acked(delete_digest))
