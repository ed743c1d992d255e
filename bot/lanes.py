"""Which lane a call to an outside API travels in: interactive (a person is waiting, the default)
or background (digests, syncs, cache refreshes). A context variable, so the tasks a piece of work
starts inherit its lane:

    with background():
        await build_the_digest()

Interactive calls are let through first and their wait counts against their deadline; background
calls take what interactive ones leave and may wait up to `BACKGROUND_PATIENCE` for it, their
deadline starting once they are let through (see `bot.budget`), and they wait out an API's rate
limit (a 429, or Rootly's headers) rather than fail; the work may listen for those waits:

    with background(on_wait=show):  # show("Rootly", 40.0) as a wait starts, then ("Rootly", 0)
        await sync()
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

# How long background work waits for the budget (a digest of thousands of services needs
# minutes of it).
BACKGROUND_PATIENCE = 900.0


class Lane(StrEnum):
    INTERACTIVE = "interactive"
    BACKGROUND = "background"


# Hears that background work waits for `service`'s rate limit for `seconds`, and then (with 0)
# that this wait is over; each start is followed by its end.
WaitListener = Callable[[str, float], None]

_lane: ContextVar[Lane] = ContextVar("lane", default=Lane.INTERACTIVE)
_on_wait: ContextVar[WaitListener | None] = ContextVar("on_wait", default=None)


def current_lane() -> Lane:
    return _lane.get()


@contextmanager
def background(on_wait: WaitListener | None = None) -> Iterator[None]:
    """Run the enclosed work, and the tasks it starts, in the background lane; `on_wait` hears of
    each wait for a rate limit."""
    lane, listener = _lane.set(Lane.BACKGROUND), _on_wait.set(on_wait)
    try:
        yield
    finally:
        _on_wait.reset(listener)
        _lane.reset(lane)


def announce_wait(service: str, seconds: float) -> None:
    """Tell the background work of this task, if it listens, that it waits for `service`'s rate
    limit for `seconds` (0: the wait is over)."""
    listener = _on_wait.get()
    if listener is not None:
        listener(service, seconds)
