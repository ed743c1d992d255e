"""No failure is lost: a test fails when asyncio reports a task exception nobody retrieved (or
anything else its event loop's exception handler is given), instead of a log line at exit."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
async def no_lost_failures() -> AsyncIterator[None]:
    loop = asyncio.get_running_loop()
    lost: list[str] = []

    def keep(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        lost.append(f"{context.get('message')}: {context.get('exception')!r}")

    previous = loop.get_exception_handler()
    loop.set_exception_handler(keep)
    yield
    gc.collect(1)  # a task dropped in a reference cycle reports when it is collected
    loop.set_exception_handler(previous)
    assert lost == [], "failures asyncio reported and nobody handled"
