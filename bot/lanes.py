"""Which lane a call to an outside API travels in: interactive (a person is waiting, the default)
or background (digests, syncs, cache refreshes). A context variable, so the tasks a piece of work
starts inherit its lane:

    with background():
        await build_the_digest()

Interactive calls are let through first and their wait counts against their deadline; background
calls take what interactive ones leave and may wait up to `BACKGROUND_PATIENCE` for it, their
deadline starting once they are let through (see `bot.budget`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

# How long background work waits for the budget (a digest of thousands of services needs
# minutes of it).
BACKGROUND_PATIENCE = 900.0


class Lane(StrEnum):
    INTERACTIVE = "interactive"
    BACKGROUND = "background"


_lane: ContextVar[Lane] = ContextVar("lane", default=Lane.INTERACTIVE)


def current_lane() -> Lane:
    return _lane.get()


@contextmanager
def background() -> Iterator[None]:
    """Run the enclosed work, and the tasks it starts, in the background lane."""
    token = _lane.set(Lane.BACKGROUND)
    try:
        yield
    finally:
        _lane.reset(token)
