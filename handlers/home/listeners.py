"""Publish App Home when its tab is opened (the view itself is `handlers.common.home`: the connect
feature publishes it too)."""

from __future__ import annotations

from handlers.common.context import Invocation
from handlers.common.home import publish_home


async def app_home_opened(invocation: Invocation) -> None:
    event = invocation.body["event"]
    if event.get("tab") == "home":
        await publish_home(invocation, event["user"])
