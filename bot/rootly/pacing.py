"""Pacing Rootly by what Rootly says: its `X-RateLimit-*` headers, reads and writes apart.

Rootly limits each API key over a sliding window, GET/HEAD/OPTIONS and POST/PUT/PATCH/DELETE
separately, and the numbers differ between keys (the official document's default is 5 reads and 3
writes a minute, its public reference says 3,000, and customers have theirs raised), so none is
assumed. Every answer carries `X-RateLimit-Limit` ("3000, 3000;window=60"), `-Remaining` and
`-Reset` (UTC epoch seconds). For each key and kind of call the pacer:
- starts conservatively: until an answer says how many remain, it sends no more at once than
  the document's default allows (the least a key has), then one at a time;
- then sends as many as remain, counting down as it sends; each answer sets the count again to
  what Rootly says remains, less the calls still in flight;
- when none remain, waits until Rootly's reset (never longer than one window, whatever our clocks
  say), then sends one call to learn what the window holds now;
- after a 429 (another tool on the same key), waits for that answer's reset or `Retry-After`.
A call never waits past the deadline `JsonApi` gives it: one a person is waiting on fails at once
with `RateLimitedError` saying when to try again; background work (`bot.lanes.background`) has a
patience of minutes, waits as long as Rootly asks within it, and its listener hears of each wait.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cachetools import LRUCache

from bot.errors import RateLimitedError
from bot.http import DEFAULT_RATE_LIMIT_PAUSE, key_fingerprint, parse_retry_after
from bot.lanes import announce_wait

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The official document's default limits per key (5 reads and 3 writes a minute): what may go
# before Rootly's answers tell more.
FIRST_READS = 5
FIRST_WRITES = 3
# The shortest pause after a 429, so a reset our clock already sees as past cannot spin.
MIN_PAUSE = 0.5
# A reset further away than this is a clock problem, unless the headers gave a longer window.
DEFAULT_WINDOW = 60.0
_WINDOW = re.compile(r"w(?:indow)?=(\d+(?:\.\d+)?)")

Clock = Callable[[], float]


@dataclass
class _Budget:
    """One key's reads or writes, as far as Rootly's answers tell."""

    # How many calls may go before we hear more; None: unknown, so one at a time.
    allowance: int | None
    # When Rootly frees capacity again (monotonic seconds), once the allowance ran out.
    reset_at: float = 0.0
    window: float = DEFAULT_WINDOW
    in_flight: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def try_take(self, now: float) -> bool:
        if self.allowance == 0 and now >= self.reset_at:
            self.allowance = None  # a new window, or none known: ask before sending more
        if self.allowance is None:
            taken = self.in_flight == 0
        elif self.allowance > 0:
            self.allowance -= 1
            taken = True
        else:
            taken = False
        if taken:
            self.in_flight += 1
        return taken

    def wait_needed(self, now: float) -> float | None:
        """Seconds until Rootly's reset, or None when an answer in flight will tell more."""
        return self.reset_at - now if self.allowance == 0 else None

    def learn(self, now: float, status: int | None, headers: Mapping[str, str]) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.window = _window(headers.get("X-RateLimit-Limit")) or self.window
        remaining = 0 if status == 429 else _count(headers.get("X-RateLimit-Remaining"))
        if remaining is not None:
            pause = parse_retry_after(headers)
            if status == 429:
                pause = DEFAULT_RATE_LIMIT_PAUSE if pause is None else max(pause, MIN_PAUSE)
            self.allowance = max(0, remaining - self.in_flight)
            self.reset_at = now + min(self.window if pause is None else pause, self.window)
        changed, self.changed = self.changed, asyncio.Event()
        changed.set()


class RootlyPacer:
    """The `bot.http.Pacer` of Rootly: a read budget and a write budget per API key."""

    def __init__(self, service: str, clock: Clock = time.monotonic, max_keys: int = 10_000):
        self._service = service
        self._clock = clock
        self._budgets: LRUCache[tuple[str, bool], _Budget] = LRUCache(maxsize=2 * max_keys)

    async def acquire(self, api_key: str, method: str, *, deadline: float, workspace: str) -> None:
        """Return when Rootly has room for the call; `RateLimitedError` when it will not have
        any before `deadline` (loop time)."""
        budget = self._budget(api_key, method)
        loop = asyncio.get_running_loop()
        while not budget.try_take(self._clock()):
            wait = budget.wait_needed(self._clock())
            if wait is not None and loop.time() + wait > deadline:
                raise RateLimitedError(
                    self._service, "this API key's rate limit is used up for now", retry_after=wait
                )
            await self._wait(budget, wait)

    async def observe(
        self, api_key: str, method: str, status: int | None, headers: Mapping[str, str]
    ) -> None:
        self._budget(api_key, method).learn(self._clock(), status, headers)

    def _budget(self, api_key: str, method: str) -> _Budget:
        read = method.upper() in READ_METHODS
        key = (key_fingerprint(api_key), read)
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = _Budget(FIRST_READS if read else FIRST_WRITES)
        return budget

    async def _wait(self, budget: _Budget, seconds: float | None) -> None:
        # Waiting for Rootly's reset is worth telling; waiting for an answer in flight is not.
        announced = seconds is not None and seconds > 0
        if announced:
            announce_wait(self._service, seconds or 0.0)
        try:
            async with asyncio.timeout(seconds):
                await budget.changed.wait()
        except TimeoutError:
            pass
        finally:
            if announced:
                announce_wait(self._service, 0.0)


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _window(limit: str | None) -> float | None:
    found = _WINDOW.search(limit or "")
    return float(found.group(1)) if found else None
