"""What processes share through Redis when `REDIS_URL` is set: Cortex's request budget per key
(`RedisLedger`), the response cache and its single-flight (`RedisEntries`).

Each is a few small Lua scripts, so every step is atomic and timed by Redis's own clock (one clock
for every process). Redis is never what an answer depends on: when it does not answer, each process
falls back to its own ledger and cache, logs a warning once, and tries Redis again a few seconds
later.

Keys: `cortex-bot:` then what it is, then a fingerprint; cache keys are hashes of the cache key
(workspace, Cortex URL, key fingerprint, request), so they are bounded in length and hold no secret.
Every key expires. Cached values are JSON, read back through the pydantic shape of the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import redis.asyncio as redis
from pydantic import TypeAdapter, ValidationError
from redis.exceptions import RedisError

from bot.budget import IN_FLIGHT_HORIZON, LocalLedger, Take
from bot.cache import CacheKey, Clock, Entry
from bot.errors import NotFoundError

log = logging.getLogger(__name__)

T = TypeVar("T")
PREFIX = "cortex-bot:"
# Redis answers in well under a millisecond, but a busy event loop may read the answer late:
# only a much longer silence counts it as down.
SOCKET_TIMEOUT = 3.0
MAX_CONNECTIONS = 32
# A burst of a thousand calls queues here for a connection: waiting is not Redis failing.
POOL_WAIT = 10.0
# After a failure, Redis is left alone this long (every request would wait for it otherwise).
RETRY_AFTER = 5.0
# How long one process may hold a cache key's single-flight claim while it asks Cortex.
CLAIM_SECONDS = 10.0
# How long an invalidation is remembered: longer than any entry lives (TTL + stale period).
INVALIDATION_MEMORY = 7200.0


class RedisDown(Exception):
    """Redis did not answer (or did not a moment ago): fall back to this process's own state."""


class SharedRedis:
    """The connection pool, with a breaker: a failure makes every caller fall back at once for
    `RETRY_AFTER` seconds instead of each waiting for its own timeout."""

    def __init__(self, url: str, clock: Clock = time.monotonic) -> None:
        # A bounded pool: a burst of calls queues for a connection instead of opening thousands.
        pool = redis.BlockingConnectionPool.from_url(
            url,
            max_connections=MAX_CONNECTIONS,
            timeout=POOL_WAIT,
            socket_timeout=SOCKET_TIMEOUT,
            socket_connect_timeout=SOCKET_TIMEOUT,
        )
        self.client = redis.Redis(connection_pool=pool)
        self._clock = clock
        self._down_until = 0.0
        self._down = False

    async def call(self, work: Callable[[redis.Redis], Awaitable[T]]) -> T:
        if self._clock() < self._down_until:
            raise RedisDown
        try:
            result = await work(self.client)
        except (RedisError, OSError, TimeoutError) as error:
            self._down_until = self._clock() + RETRY_AFTER
            if not self._down:
                self._down = True
                # The URL is not logged: it may carry a password.
                log.warning(
                    "Redis is not answering (%s): each process uses its own Cortex budget and "
                    "cache until it is back",
                    type(error).__name__,
                )
            raise RedisDown from None
        if self._down:
            self._down = False
            log.warning("Redis answers again: processes share the Cortex budget and cache")
        return result

    def script(self, lua: str) -> Script:
        return Script(self, lua)

    async def answers(self) -> bool:
        try:
            await self.call(lambda client: client.ping())
        except RedisDown:
            return False
        return True

    async def aclose(self) -> None:
        await self.client.aclose()


Argument = str | int | float


class Script:
    """A Lua script run through `SharedRedis.call` (so `RedisDown` when Redis is not there)."""

    def __init__(self, shared: SharedRedis, lua: str) -> None:
        self._shared = shared
        self._script = shared.client.register_script(lua)

    async def __call__(self, keys: list[str], args: Sequence[Argument] = ()) -> Any:
        return await self._shared.call(
            lambda client: self._script(keys=keys, args=list(args), client=client)
        )

    async def quietly(self, keys: list[str], args: Sequence[Argument] = ()) -> None:
        """Best effort: what Redis misses while it is down expires there on its own."""
        with contextlib.suppress(RedisDown):
            await self(keys, args)


NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

TAKE = (
    NOW_MS
    + """
local period, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local position, horizon = tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local used = redis.call('ZCARD', KEYS[1])
local paused = math.max(redis.call('PTTL', KEYS[2]), 0)
if position == 0 and used < limit and paused == 0 then
  redis.call('ZADD', KEYS[1], now + horizon, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], horizon + period)
  return {1, used + 1, 0}
end
local wait = 0
local index = used - limit + position
if index >= used then
  wait = period * (1 + math.floor(index / limit))
elseif index >= 0 then
  local score = tonumber(redis.call('ZRANGE', KEYS[1], index, index, 'WITHSCORES')[2])
  wait = math.min(score, now) + period - now
end
return {0, used, math.max(wait, paused)}
"""
)
SETTLE = (
    NOW_MS
    + """
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
"""
)
PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
"""


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class RedisLedger:
    """`bot.budget.Ledger` in Redis: one sliding log per key for every process, a sorted set of
    slots scored by when each frees its place (in flight: the horizon)."""

    def __init__(self, shared: SharedRedis, period: float) -> None:
        self._shared = shared
        self._period = period
        self._local = LocalLedger(period)
        self._take = shared.script(TAKE)
        self._settle = shared.script(SETTLE)
        self._release = shared.script(RELEASE)
        self._pause = shared.script(PAUSE)
        self._holder = uuid.uuid4().hex[:12]
        self._tickets = itertools.count()

    @staticmethod
    def _keys(key: str) -> list[str]:
        return [f"{PREFIX}budget:{key}", f"{PREFIX}pause:{key}"]

    async def take(self, key: str, limit: int, position: int) -> Take:
        ticket = f"r:{self._holder}:{next(self._tickets)}"
        arguments: list[Argument] = [
            _ms(self._period),
            limit,
            position,
            ticket,
            _ms(IN_FLIGHT_HORIZON),
        ]
        try:
            granted, used, wait = await self._take(self._keys(key), arguments)
        except RedisDown:
            return await self._local.take(key, limit, position)
        return Take(bool(granted), int(used), ticket if granted else "", int(wait) / 1000)

    async def settle(self, key: str, ticket: str) -> None:
        if not ticket.startswith("r:"):
            await self._local.settle(key, ticket)
            return
        await self._settle.quietly(
            self._keys(key)[:1], [ticket, _ms(IN_FLIGHT_HORIZON + self._period)]
        )

    async def release(self, key: str, ticket: str) -> None:
        if not ticket.startswith("r:"):
            await self._local.release(key, ticket)
            return
        await self._release.quietly(self._keys(key)[:1], [ticket])

    async def pause(self, key: str, seconds: float) -> None:
        await self._local.pause(key, seconds)
        await self._pause.quietly(self._keys(key)[1:], [_ms(seconds)])


LOOKUP = """
local entry = redis.call('GET', KEYS[1])
local claimed = redis.call('EXISTS', KEYS[2])
if not entry then return {false, claimed} end
local written = tonumber(string.sub(entry, 1, string.find(entry, '|', 1, true) - 1))
for i = 3, #KEYS do
  local invalidated = redis.call('GET', KEYS[i])
  if invalidated and tonumber(invalidated) >= written then return {false, claimed} end
end
return {entry, claimed}
"""
CLAIM = (
    NOW_MS
    + """
local claimed = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])
return {claimed and 1 or 0, now}
"""
)
STORE = """
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
"""
RELEASE = "redis.call('ZREM', KEYS[1], ARGV[1])"
UNCLAIM = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
"""
INVALIDATE = NOW_MS + "redis.call('SET', KEYS[1], now, 'PX', ARGV[1])"


def _digest(parts: CacheKey) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


class RedisEntries:
    """`bot.cache.SharedEntries` in Redis. An entry is stored with the Redis time its read began;
    an invalidation stamps the prefix it names, and an entry older than any stamp of its key's
    prefixes is gone (so invalidating a prefix costs one write, whatever it covers)."""

    def __init__(self, shared: SharedRedis, stale_for: float) -> None:
        self._shared = shared
        self._stale_for = stale_for
        self._lookup = shared.script(LOOKUP)
        self._claim = shared.script(CLAIM)
        self._store = shared.script(STORE)
        self._unclaim = shared.script(UNCLAIM)
        self._invalidate = shared.script(INVALIDATE)
        self._holder = uuid.uuid4().hex

    @staticmethod
    def _entry_keys(key: CacheKey) -> list[str]:
        digest = _digest(key)
        stamps = [f"{PREFIX}invalidated:{_digest(key[:size])}" for size in range(1, len(key) + 1)]
        return [f"{PREFIX}cache:{digest}", f"{PREFIX}claim:{digest}", *stamps]

    async def lookup(self, key: CacheKey, shape: TypeAdapter[Any], clock: Clock) -> Entry | None:
        try:
            entry, _claimed = await self._read(key, shape, clock)
        except RedisDown:
            return None
        return entry

    async def _read(
        self, key: CacheKey, shape: TypeAdapter[Any], clock: Clock
    ) -> tuple[Entry | None, bool]:
        stored, claimed = await self._lookup(self._entry_keys(key))
        if not stored:
            return None, bool(claimed)
        return _decode(stored, shape, clock), bool(claimed)

    async def fetch_once(
        self,
        key: CacheKey,
        shape: TypeAdapter[Any],
        clock: Clock,
        fetch: Callable[[], Awaitable[Entry]],
    ) -> Entry:
        keys = self._entry_keys(key)
        try:
            claimed, started = await self._claim(keys[1:2], [self._holder, _ms(CLAIM_SECONDS)])
        except RedisDown:
            return await fetch()
        if claimed:
            return await self._fetch_and_share(keys, int(started), shape, clock, fetch)
        return await self._wait_for(key, shape, clock) or await fetch()

    async def _fetch_and_share(
        self,
        keys: list[str],
        started: int,
        shape: TypeAdapter[Any],
        clock: Clock,
        fetch: Callable[[], Awaitable[Entry]],
    ) -> Entry:
        try:
            entry = await fetch()
        except BaseException:
            await self._unclaim.quietly(keys[1:2], [self._holder])
            raise
        lifetime = entry.fresh_until - clock() + (0.0 if entry.missing else self._stale_for)
        encoded = _encode(entry, shape, clock)
        arguments: list[Argument] = [started, encoded, _ms(lifetime), self._holder]
        await self._store.quietly(keys[:2], arguments)
        return entry

    async def _wait_for(self, key: CacheKey, shape: TypeAdapter[Any], clock: Clock) -> Entry | None:
        """The entry the claiming process stores, or None if it gave up (or Redis did)."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + CLAIM_SECONDS
        pause = 0.005
        while loop.time() < give_up:
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)
            try:
                entry, claimed = await self._read(key, shape, clock)
            except RedisDown:
                return None
            if entry is not None and clock() < entry.fresh_until:
                return entry
            if not claimed:
                return None
        return None

    async def invalidate(self, prefix: CacheKey) -> None:
        stamp = [f"{PREFIX}invalidated:{_digest(prefix)}"]
        await self._invalidate.quietly(stamp, [_ms(INVALIDATION_MEMORY)])


def _encode(entry: Entry, shape: TypeAdapter[Any], clock: Clock) -> str:
    """JSON, times on the wall clock (processes do not share a monotonic one)."""
    offset = time.time() - clock()
    missing = entry.missing
    return json.dumps(
        {
            "fetched_at": entry.fetched_at + offset,
            "fresh_until": entry.fresh_until + offset,
            "missing": None if missing is None else [missing.service, missing.detail, missing.code],
            "value": None if missing else shape.dump_python(entry.value, mode="json"),
        }
    )


def _decode(stored: bytes, shape: TypeAdapter[Any], clock: Clock) -> Entry | None:
    offset = time.time() - clock()
    try:
        envelope = json.loads(stored.partition(b"|")[2])
        missing = envelope["missing"]
        value = None if missing else shape.validate_python(envelope["value"])
    except (ValueError, KeyError, ValidationError):
        return None  # written by another version of the bot: read again
    return Entry(
        value,
        envelope["fetched_at"] - offset,
        envelope["fresh_until"] - offset,
        None
        if missing is None
        else NotFoundError(missing[0], missing[1], status=404, code=missing[2]),
    )
