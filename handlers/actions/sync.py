"""The Apply button of a sync dry run: runs the real sync, announced in the channel."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import ids
from handlers.background import acked
from handlers.commands.sync import require_sync_admin, start_sync
from handlers.context import Invocation


async def apply_plan(invocation: Invocation) -> None:
    await require_sync_admin(invocation, "run the Rootly sync")
    await invocation.respond(
        replace_original=True,
        text=f"<@{invocation.user_id}> applied this plan; the sync's progress is in the channel.",
    )
    await start_sync(invocation)


def register(app: AsyncApp) -> None:
    app.action(ids.SYNC_APPLY)(acked(apply_plan))
