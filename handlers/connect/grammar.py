"""`/cortex connect` and `/cortex disconnect` take nothing after them."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common.lexer import takes_nothing


@dataclass(frozen=True)
class Connect:
    """Open the modal that stores this workspace's API keys."""


@dataclass(frozen=True)
class Disconnect:
    """Forget this workspace's API keys, after confirmation."""


parse_connect = takes_nothing("connect", Connect())
parse_disconnect = takes_nothing("disconnect", Disconnect())
