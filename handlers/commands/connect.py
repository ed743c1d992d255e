"""`/cortex connect` (admins): the connect modal."""

from __future__ import annotations

from handlers.commands.grammar import Connect
from handlers.context import Invocation
from handlers.views.connect import open_connect_modal


async def connect(invocation: Invocation, _command: Connect) -> None:
    await open_connect_modal(invocation)
