"""Transport details that are easiest to see without a server: rate limits and Retry-After."""

from __future__ import annotations

import asyncio

from bot.http import RateLimit, RateLimiters, parse_retry_after


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = 1_700_000_000.0

    assert parse_retry_after({"Retry-After": "7"}, now) == 7.0
    assert parse_retry_after({"Retry-After": "Tue, 14 Nov 2023 22:13:30 GMT"}, now) == 10.0
    assert parse_retry_after({"X-RateLimit-Reset": "3"}, now) == 3.0
    assert parse_retry_after({"X-RateLimit-Reset": str(int(now) + 42)}, now) == 42.0
    assert parse_retry_after({}, now) is None


async def test_the_limiter_admits_a_burst_then_holds_the_rest() -> None:
    limiters = RateLimiters(RateLimit(per_period=1000, period=60.0, burst=100))
    limiter = limiters.for_key("key-a")
    admitted = 0

    async def take() -> None:
        nonlocal admitted
        await limiter.acquire()
        admitted += 1

    waiting = [asyncio.ensure_future(take()) for _ in range(150)]
    await asyncio.sleep(0.05)
    for task in waiting:
        task.cancel()
    await asyncio.gather(*waiting, return_exceptions=True)

    # 100 at once, then 15 a second drain: a few more at most in 50 ms, never all 150.
    assert 100 <= admitted <= 105


def test_each_key_has_its_own_limiter_and_memory_is_bounded() -> None:
    limiters = RateLimiters(RateLimit(per_period=1000, period=60.0, burst=100), max_keys=3)

    first = limiters.for_key("key-a")
    assert limiters.for_key("key-a") is first
    assert limiters.for_key("key-b") is not first
    for key in ("key-c", "key-d", "key-e"):
        limiters.for_key(key)

    assert limiters.for_key("key-a") is not first  # forgotten, recreated
