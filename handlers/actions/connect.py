"""The "Connect Cortex" button (help, App Home, not-connected answers) opens the connect modal."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from handlers import ids
from handlers.background import acked
from handlers.context import Invocation
from handlers.views.connect import open_connect_modal


async def open_connect(invocation: Invocation) -> None:
    await open_connect_modal(invocation)


def register(app: AsyncApp) -> None:
    app.action(ids.OPEN_CONNECT)(acked(open_connect))
