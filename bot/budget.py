"""Cortex's request budget: one per API key, used in full, interactive work first.

Cortex allows about 1000 requests a minute per key. The budget lets `usable` requests (the
documented limit less a small margin) go in any rolling `period`. Each request holds its slot from
the moment it is let through until `period` after its answer arrived: Cortex counts a request when
it receives it, which is before we hear back, so however long requests wait in connection pools,
a window measured on answers is never fuller on Cortex's side. A `Retry-After` from Cortex pauses
the key for everyone.

Two lanes share a key (`bot.lanes`, a context variable that tasks inherit):
- interactive (the default): cards, searches, pickers, modals, recordings, the incident autopilot.
  A person is waiting, so it is served first and may use the whole window; its wait counts against
  the call's deadline, and when the budget cannot let it go in time it fails at once with
  `BudgetBusyError` ("try again in N s") instead of waiting to be late.
- background (`with background(): ...`): digests, syncs, cache refreshes. It only takes what leaves
  `reserve` of the window to interactive work, so a burst of cards never queues behind it; it waits
  as long as its patience allows, and its deadline starts when it is let through.

Where the slots are counted is a `Ledger`: in this process (`LocalLedger`), or in Redis so that
every process shares one budget per key (`bot.shared.RedisLedger`).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from cachetools import LRUCache

from bot.errors import BudgetBusyError
from bot.http import key_fingerprint, parse_retry_after
from bot.lanes import Lane, current_lane
from bot.observability import BUDGET_REMAINING, BUDGET_REQUESTS, BUDGET_WAIT

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# Until its answer arrives, a request's slot is dated this far ahead: if the process dies with the
# request in flight, the slot still frees in the end.
IN_FLIGHT_HORIZON = 30.0
# A 429 without a usable Retry-After pauses the key this long.
DEFAULT_PAUSE = 1.0


@dataclass(frozen=True)
class BudgetLimits:
    """`requests` per rolling `period` seconds, as the API documents it, less `margin`; `reserve`
    of that is kept for interactive work."""

    requests: int
    period: float
    margin: float = 0.02
    # 20 cards asked at once cost 100 calls: they must fit in what background work leaves.
    reserve: float = 0.2

    @property
    def usable(self) -> int:
        return max(1, math.floor(self.requests * (1 - self.margin)))

    def limit_for(self, lane: Lane) -> int:
        if lane is Lane.INTERACTIVE:
            return self.usable
        return max(1, self.usable - math.ceil(self.usable * self.reserve))


@dataclass(frozen=True)
class Take:
    """A ledger's answer: a slot (its ticket), or how long until one frees for the asker."""

    granted: bool
    used: int
    ticket: str = ""
    wait: float = 0.0


class Ledger(Protocol):
    """Counts one key's slots over the rolling period (the key is a fingerprint, never a secret)."""

    async def take(self, key: str, limit: int, position: int) -> Take:
        """A slot if fewer than `limit` are held, nobody is `position`-ahead and the key is not
        paused; else the seconds until the slot of the waiter `position` places back frees."""
        ...

    async def settle(self, key: str, ticket: str) -> None:
        """The ticket's answer arrived: its slot frees `period` from now."""
        ...

    async def release(self, key: str, ticket: str) -> None:
        """The ticket was never used: its slot frees now."""
        ...

    async def pause(self, key: str, seconds: float) -> None:
        """The API asked us to wait: nothing is let through for `seconds`."""
        ...


@dataclass
class _Log:
    slots: list[tuple[float, str]] = field(default_factory=list)  # (frees at - period, ticket)
    paused_until: float = 0.0


class LocalLedger:
    """The ledger of one process: the same sliding log as `RedisLedger`, in memory."""

    def __init__(
        self, period: float, max_keys: int = 10_000, clock: Clock = time.monotonic
    ) -> None:
        self._period = period
        self._clock = clock
        self._logs: LRUCache[str, _Log] = LRUCache(maxsize=max_keys)
        self._tickets = itertools.count()

    def _log(self, key: str) -> _Log:
        found = self._logs.get(key)
        if found is None:
            found = self._logs[key] = _Log()
        now = self._clock()
        del found.slots[: bisect.bisect_right(found.slots, (now - self._period, "\uffff"))]
        return found

    async def take(self, key: str, limit: int, position: int) -> Take:
        found = self._log(key)
        now = self._clock()
        used = len(found.slots)
        paused = max(0.0, found.paused_until - now)
        if position == 0 and used < limit and not paused:
            ticket = str(next(self._tickets))
            bisect.insort(found.slots, (now + IN_FLIGHT_HORIZON, ticket))
            return Take(True, used + 1, ticket)
        return Take(False, used, wait=max(paused, self._slot_wait(found, now, limit, position)))

    def _slot_wait(self, found: _Log, now: float, limit: int, position: int) -> float:
        index = len(found.slots) - limit + position
        if index < 0:
            return 0.0
        if index < len(found.slots):
            # A slot in flight frees `period` after its answer, which may come any moment.
            return min(found.slots[index][0], now) + self._period - now
        # Beyond every slot held now: one more period per window's worth of waiters.
        return self._period * (1 + index // max(1, limit))

    async def settle(self, key: str, ticket: str) -> None:
        found = self._log(key)
        self._drop(found, ticket)
        bisect.insort(found.slots, (self._clock(), ticket))

    async def release(self, key: str, ticket: str) -> None:
        self._drop(self._log(key), ticket)

    @staticmethod
    def _drop(found: _Log, ticket: str) -> None:
        found.slots[:] = [slot for slot in found.slots if slot[1] != ticket]

    async def pause(self, key: str, seconds: float) -> None:
        found = self._log(key)
        found.paused_until = max(found.paused_until, self._clock() + seconds)


class _Queue:
    """One key's waiters in this process: interactive ones first, each lane first come first
    served. Only the head waiter asks the ledger; the others wait for their turn."""

    def __init__(self, key: str, limits: BudgetLimits, ledger: Ledger) -> None:
        self.key = key
        self._limits = limits
        self._ledger = ledger
        self._waiting: dict[Lane, deque[asyncio.Future[Take]]] = {lane: deque() for lane in Lane}
        self._changed = asyncio.Event()
        self._server: asyncio.Task[None] | None = None
        self._giving_back: set[asyncio.Task[None]] = set()
        # Tickets let through whose answers have not arrived, oldest first. They are
        # interchangeable: whichever answer arrives settles the oldest.
        self.unanswered: deque[str] = deque()

    def _ahead_of(self, lane: Lane) -> int:
        ahead = len(self._waiting[Lane.INTERACTIVE])
        return ahead + len(self._waiting[Lane.BACKGROUND]) if lane is Lane.BACKGROUND else ahead

    async def admit(self, lane: Lane, deadline: float, service: str) -> Take:
        """A slot by `deadline`, or `BudgetBusyError` as soon as it is clear there is none."""
        take = await self._ledger.take(self.key, self._limits.limit_for(lane), self._ahead_of(lane))
        if take.granted:
            return take
        loop = asyncio.get_running_loop()
        if loop.time() + take.wait > deadline:
            raise BudgetBusyError(service, take.wait)
        waiter: asyncio.Future[Take] = loop.create_future()
        self._waiting[lane].append(waiter)
        self._wake()
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(waiter)
        except TimeoutError:
            self._give_back(lane, waiter)
            raise BudgetBusyError(service, take.wait) from None
        except asyncio.CancelledError:
            self._give_back(lane, waiter)
            raise

    def _give_back(self, lane: Lane, waiter: asyncio.Future[Take]) -> None:
        """The waiter left: out of the queue, and its slot back if it had been given one."""
        if waiter in self._waiting[lane]:
            self._waiting[lane].remove(waiter)
        if not waiter.done():
            waiter.cancel()
        elif not waiter.cancelled() and waiter.exception() is None:
            task = asyncio.ensure_future(self._ledger.release(self.key, waiter.result().ticket))
            self._giving_back.add(task)
            task.add_done_callback(self._giving_back.discard)

    def _wake(self) -> None:
        self._changed.set()
        if self._server is None or self._server.done():
            self._server = asyncio.ensure_future(self._serve())

    def _head(self) -> tuple[Lane, asyncio.Future[Take]] | None:
        for lane in Lane:
            queue = self._waiting[lane]
            while queue and queue[0].done():
                queue.popleft()
            if queue:
                return lane, queue[0]
        return None

    async def _serve(self) -> None:
        try:
            while (head := self._head()) is not None:
                lane, waiter = head
                self._changed.clear()
                take = await self._ledger.take(self.key, self._limits.limit_for(lane), 0)
                if not take.granted:
                    # Until the slot frees, or until someone more urgent arrives.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(take.wait):
                            await self._changed.wait()
                elif waiter.done():
                    await self._ledger.release(self.key, take.ticket)
                else:
                    self._waiting[lane].popleft()
                    waiter.set_result(take)
        except Exception as error:
            log.exception("the request budget stopped serving its queue")
            for queue in self._waiting.values():
                while queue:
                    waiter = queue.popleft()
                    if not waiter.done():
                        waiter.set_exception(error)


class RequestBudget:
    """The pacer of one API in `JsonApi`: a budget per key, in lanes, counted in a `Ledger`."""

    def __init__(
        self, service: str, limits: BudgetLimits, ledger: Ledger, max_keys: int = 10_000
    ) -> None:
        self.service = service
        self.limits = limits
        self.ledger = ledger
        self._queues: LRUCache[str, _Queue] = LRUCache(maxsize=max_keys)

    def _queue(self, api_key: str) -> _Queue:
        key = key_fingerprint(api_key)
        found = self._queues.get(key)
        if found is None:
            found = self._queues[key] = _Queue(key, self.limits, self.ledger)
        return found

    async def acquire(self, api_key: str, method: str, *, deadline: float, workspace: str) -> None:
        """Wait for a slot of the key's budget in the current lane, or raise `BudgetBusyError`
        when none can be had by `deadline` (loop time)."""
        lane = current_lane()
        queue = self._queue(api_key)
        started = time.perf_counter()
        try:
            take = await queue.admit(lane, deadline, self.service)
        except BudgetBusyError:
            BUDGET_REQUESTS.labels(lane, "busy").inc()
            raise
        finally:
            BUDGET_WAIT.labels(lane).observe(time.perf_counter() - started)
        BUDGET_REQUESTS.labels(lane, "sent").inc()
        BUDGET_REMAINING.labels(workspace or "-").set(self.limits.usable - take.used)
        queue.unanswered.append(take.ticket)

    async def observe(
        self, api_key: str, method: str, status: int | None, headers: Mapping[str, str]
    ) -> None:
        """An attempt ended (`status` None: no answer): its slot starts its period now; a 429
        pauses the key for its `Retry-After`."""
        queue = self._queue(api_key)
        if queue.unanswered:
            await self.ledger.settle(queue.key, queue.unanswered.popleft())
        if status == 429:
            pause = parse_retry_after(headers) or DEFAULT_PAUSE
            log.warning("%s answered 429: pausing the key's budget for %.1f s", self.service, pause)
            await self.ledger.pause(queue.key, pause)
