"""A bounded, time-limited cache of API answers, shared by every workspace of the process.

- Keys start with the caller's scope (workspace, API base URL, key fingerprint), so one
  workspace can never read another's entries.
- Identical reads that arrive while one is in flight wait for that one request (single-flight).
- An entry is fresh for its TTL; after that it is kept a while longer as a fallback, served marked
  `stale` when the API fails with an outage or rate limit, instead of an error.
- Writes invalidate by key prefix, e.g. every cached read about one service's deploys.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cachetools import TLRUCache

from bot.errors import RateLimitedError, UnavailableError
from bot.observability import CACHE_LOOKUPS

T = TypeVar("T")
CacheKey = tuple[str, ...]
Clock = Callable[[], float]

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_STALE_FOR = 3600.0


@dataclass(frozen=True)
class Cached(Generic[T]):
    """An answer and where it came from: `stale` means the API failed and this is older data."""

    value: T
    fetched_at: float
    stale: bool = False


@dataclass(frozen=True)
class _Entry:
    value: Any
    fetched_at: float
    fresh_until: float


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    shared_waits: int = 0

    @property
    def hit_ratio(self) -> float:
        lookups = self.hits + self.misses
        return self.hits / lookups if lookups else 0.0


class ResponseCache:
    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        stale_for: float = DEFAULT_STALE_FOR,
        clock: Clock = time.monotonic,
    ) -> None:
        self._clock = clock
        self._stale_for = stale_for
        self._entries: TLRUCache[CacheKey, _Entry] = TLRUCache(
            maxsize=max_entries, ttu=self._expires_at, timer=clock
        )
        self._in_flight: dict[CacheKey, asyncio.Task[Any]] = {}
        self.stats = CacheStats()

    def _expires_at(self, _key: CacheKey, entry: _Entry, _now: float) -> float:
        return entry.fresh_until + self._stale_for

    def __len__(self) -> int:
        return len(self._entries)

    async def get_or_fetch(
        self, key: CacheKey, ttl: float, fetch: Callable[[], Awaitable[T]]
    ) -> Cached[T]:
        """The cached answer for `key`, or the result of `fetch()` (run once for all waiters)."""
        entry = self._entries.get(key)
        now = self._clock()
        if entry is not None and now < entry.fresh_until:
            self.stats.hits += 1
            CACHE_LOOKUPS.labels("hit").inc()
            return Cached(entry.value, entry.fetched_at)
        self.stats.misses += 1
        CACHE_LOOKUPS.labels("miss").inc()
        try:
            value: T = await self._shared_fetch(key, ttl, fetch)
        except (UnavailableError, RateLimitedError):
            if entry is None:
                raise
            self.stats.stale_served += 1
            CACHE_LOOKUPS.labels("stale").inc()
            return Cached(entry.value, entry.fetched_at, stale=True)
        return Cached(value, self._clock())

    async def _shared_fetch(
        self, key: CacheKey, ttl: float, fetch: Callable[[], Awaitable[T]]
    ) -> T:
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_store(key, ttl, fetch))
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._forget_in_flight(key, done))
        else:
            self.stats.shared_waits += 1
        # Shielded so that one cancelled waiter does not cancel the request the others wait for.
        result: T = await asyncio.shield(task)
        return result

    async def _fetch_and_store(
        self, key: CacheKey, ttl: float, fetch: Callable[[], Awaitable[T]]
    ) -> T:
        value = await fetch()
        # An invalidation while this request was in flight means its answer may predate a write.
        if self._in_flight.get(key) is asyncio.current_task():
            now = self._clock()
            self._entries[key] = _Entry(value, now, now + ttl)
        return value

    def _forget_in_flight(self, key: CacheKey, done: asyncio.Task[Any]) -> None:
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        if not done.cancelled():
            done.exception()  # retrieved, so an unawaited failure is not reported as lost

    def invalidate(self, prefix: CacheKey) -> int:
        """Forget every entry (and detach every in-flight read) whose key starts with `prefix`."""
        size = len(prefix)
        stale_keys = [key for key in self._entries if key[:size] == prefix]
        for key in stale_keys:
            self._entries.pop(key, None)
        for key in [key for key in self._in_flight if key[:size] == prefix]:
            del self._in_flight[key]
        return len(stale_keys)
