"""A bounded, time-limited cache of API answers, shared by every workspace of the process, and by
every process when a shared store (Redis, `bot.shared`) is configured.

- Keys start with the caller's scope (workspace, API base URL, key fingerprint), so one
  workspace can never read another's entries; the part after it names the kind of answer
  (`scores`, `oncall`...), which labels the lookup metrics.
- Identical reads that arrive while one is in flight wait for that one request (single-flight);
  with a shared store, across processes too.
- An entry is fresh for its TTL; after that it is kept a while longer as a fallback, served marked
  `stale` when the API fails with an outage or rate limit, or our own budget for it is busy,
  instead of an error.
- "Not found" is remembered for `MISSING_TTL`, so a repeated typo costs no request.
- Writes invalidate by key prefix, e.g. every cached read about one service's deploys.

Entries shared between processes are JSON (each read names its `shape`, a pydantic `TypeAdapter`);
a read without a shape stays in this process.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from cachetools import Cache, TLRUCache
from pydantic import TypeAdapter

from bot.errors import (
    BudgetBusyError,
    CallError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
)
from bot.observability import CACHE_LOOKUPS

T = TypeVar("T")
CacheKey = tuple[str, ...]
Clock = Callable[[], float]

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_STALE_FOR = 3600.0
# How long "not found" is remembered.
MISSING_TTL = 60.0
# Failures after which older data is better than no answer.
SERVED_STALE = (UnavailableError, RateLimitedError, BudgetBusyError)


@dataclass(frozen=True)
class Cached(Generic[T]):
    """An answer and where it came from: `stale` means the API failed (or the budget for it was
    busy: `because`) and this is older data; `from_cache` that no request was made for it."""

    value: T
    fetched_at: float
    stale: bool = False
    because: CallError | None = None
    from_cache: bool = False


@dataclass(frozen=True)
class Entry:
    """What the cache keeps: an answer (or that there was nothing), when, and until when fresh;
    times on the cache's clock."""

    value: Any
    fetched_at: float
    fresh_until: float
    missing: NotFoundError | None = None

    def answer(self, because: CallError | None = None, *, from_cache: bool = True) -> Cached[Any]:
        """The answer; `because`: why this older one is served instead of a new one."""
        if self.missing is not None:
            raise NotFoundError(
                self.missing.service, self.missing.detail, status=404, code=self.missing.code
            )
        return Cached(self.value, self.fetched_at, because is not None, because, from_cache)


class SharedEntries(Protocol):
    """Entries and single-flight shared by every process (`bot.shared.RedisEntries`). Never
    raises: when the store is unreachable it answers as if it were empty and unclaimed."""

    async def lookup(self, key: CacheKey, shape: TypeAdapter[Any], clock: Clock) -> Entry | None:
        """The entry for `key` (fresh, or kept as a fallback), in `clock`'s time, or None."""
        ...

    async def fetch_once(
        self,
        key: CacheKey,
        shape: TypeAdapter[Any],
        clock: Clock,
        fetch: Callable[[], Awaitable[Entry]],
    ) -> Entry:
        """`fetch()` in the one process that claims `key` (stored for all), or the entry it
        stored, waited for."""
        ...

    async def invalidate(self, prefix: CacheKey) -> None: ...


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    stale_served: int = 0
    shared_waits: int = 0
    shared_hits: int = 0  # fresh answers another process had fetched

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
        shared: SharedEntries | None = None,
    ) -> None:
        self._clock = clock
        self._stale_for = stale_for
        self._shared = shared
        self._entries: TLRUCache[CacheKey, Entry] = TLRUCache(
            maxsize=max_entries, ttu=self._expires_at, timer=clock
        )
        self._in_flight: dict[CacheKey, asyncio.Task[Entry]] = {}
        # The keys stored under each scope and kind, so that `held` reads a workspace's few
        # entries rather than walking the whole cache (an options load does, per keystroke).
        # Keys the cache has since dropped are pruned when read, and all at once when they
        # outnumber what the cache can hold.
        self._keys_by_kind: dict[CacheKey, dict[CacheKey, None]] = {}
        self._indexed = 0
        self._max_entries = max_entries
        self.stats = CacheStats()

    def _expires_at(self, _key: CacheKey, entry: Entry, _now: float) -> float:
        return entry.fresh_until + (0.0 if entry.missing else self._stale_for)

    def __len__(self) -> int:
        return len(self._entries)

    async def get_or_fetch(
        self,
        key: CacheKey,
        ttl: float,
        fetch: Callable[[], Awaitable[T]],
        shape: TypeAdapter[T] | None = None,
    ) -> Cached[T]:
        """The cached answer for `key`, or the result of `fetch()` (run once for all waiters)."""
        entry = self._entries.get(key)
        kind = _kind_of_answer(key)
        if entry is not None and self._clock() < entry.fresh_until:
            return self._hit(entry, kind)
        if self._shared is not None and shape is not None:
            found = await self._shared.lookup(key, shape, self._clock)
            if found is not None and self._clock() < found.fresh_until:
                self._store(key, found)
                self.stats.shared_hits += 1
                return self._hit(found, kind)
            if found is not None and (entry is None or found.fetched_at > entry.fetched_at):
                entry = found  # older data another process fetched: the fallback if Cortex fails
        self.stats.misses += 1
        CACHE_LOOKUPS.labels(kind, "miss").inc()
        try:
            fetched = await self._shared_fetch(key, ttl, fetch, shape)
        except SERVED_STALE as failure:
            if entry is None or entry.missing is not None:
                raise
            self.stats.stale_served += 1
            CACHE_LOOKUPS.labels(kind, "stale").inc()
            result: Cached[T] = entry.answer(because=failure)
            return result
        return fetched.answer(from_cache=False)

    async def peek(self, key: CacheKey, shape: TypeAdapter[T] | None = None) -> T | None:
        """What is cached for `key`, fresh or kept as a fallback, without asking the API: for what
        is worth showing only when it costs nothing (help's examples)."""
        entry = self._entries.get(key)
        if entry is None and self._shared is not None and shape is not None:
            entry = await self._shared.lookup(key, shape, self._clock)
        if entry is None or entry.missing is not None:
            return None
        found: T = entry.value
        return found

    def held(self, prefix: CacheKey) -> list[Any]:
        """The answers this process holds under `prefix` (a scope and a kind of answer), fresh or
        kept as a fallback: what it has seen lately, for suggestions (no request, nothing from the
        shared store)."""
        keys = self._keys_by_kind.get(prefix, {})
        held: list[Any] = []
        for key in list(keys):
            entry = self._untouched(key)
            if entry is None:
                del keys[key]
                self._indexed -= 1
            elif entry.missing is None:
                held.append(entry.value)
        return held

    def _untouched(self, key: CacheKey) -> Entry | None:
        """The entry for `key` unless it expired, read without marking it just used (as `get`
        would): reading what is held for suggestions must not keep it from being evicted."""
        if key not in self._entries:  # checks expiry, keeps the order of use
            return None
        entry: Entry = Cache.__getitem__(self._entries, key)
        return entry

    def _hit(self, entry: Entry, kind: str) -> Cached[Any]:
        self.stats.hits += 1
        CACHE_LOOKUPS.labels(kind, "hit").inc()
        return entry.answer()

    async def _shared_fetch(
        self,
        key: CacheKey,
        ttl: float,
        fetch: Callable[[], Awaitable[T]],
        shape: TypeAdapter[T] | None,
    ) -> Entry:
        task = self._in_flight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._fetch_and_store(key, ttl, fetch, shape))
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._forget_in_flight(key, done))
        else:
            self.stats.shared_waits += 1
        # Shielded so that one cancelled waiter does not cancel the request the others wait for.
        return await asyncio.shield(task)

    async def _fetch_and_store(
        self,
        key: CacheKey,
        ttl: float,
        fetch: Callable[[], Awaitable[T]],
        shape: TypeAdapter[T] | None,
    ) -> Entry:
        async def fetched() -> Entry:
            try:
                value = await fetch()
            except NotFoundError as missing:
                now = self._clock()
                return Entry(None, now, now + min(ttl, MISSING_TTL), missing)
            now = self._clock()
            return Entry(value, now, now + ttl)

        if self._shared is not None and shape is not None:
            entry = await self._shared.fetch_once(key, shape, self._clock, fetched)
        else:
            entry = await fetched()
        # An invalidation while this request was in flight means its answer may predate a write.
        if self._in_flight.get(key) is asyncio.current_task():
            self._store(key, entry)
        return entry

    def _store(self, key: CacheKey, entry: Entry) -> None:
        self._entries[key] = entry
        keys = self._keys_by_kind.setdefault(key[: SCOPE_PARTS + 1], {})
        if key not in keys:
            keys[key] = None
            self._indexed += 1
        if self._indexed > 2 * self._max_entries:
            self._reindex()

    def _reindex(self) -> None:
        self._keys_by_kind = {}
        for key in self._entries:
            self._keys_by_kind.setdefault(key[: SCOPE_PARTS + 1], {})[key] = None
        self._indexed = len(self._entries)

    def _forget_in_flight(self, key: CacheKey, done: asyncio.Task[Entry]) -> None:
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        if not done.cancelled():
            done.exception()  # retrieved, so an unawaited failure is not reported as lost

    async def invalidate(self, prefix: CacheKey) -> int:
        """Forget every entry (and detach every in-flight read) whose key starts with `prefix`,
        in every process sharing the store."""
        size = len(prefix)
        stale_keys = [key for key in self._entries if key[:size] == prefix]
        for key in stale_keys:
            self._entries.pop(key, None)
        for key in [key for key in self._in_flight if key[:size] == prefix]:
            del self._in_flight[key]
        if self._shared is not None:
            await self._shared.invalidate(prefix)
        return len(stale_keys)


SCOPE_PARTS = 3


def _kind_of_answer(key: CacheKey) -> str:
    """The part of a key after its scope (workspace, API URL, key fingerprint)."""
    return key[SCOPE_PARTS] if len(key) > SCOPE_PARTS else "-"
