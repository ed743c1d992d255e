"""Redis for the tests that share state between processes: the machine's server (`TEST_REDIS_URL`,
tests skip without it), or one a test starts on a free port to stop it mid-run."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis

from tests.support.processes import free_port

REDIS_URL = os.environ.get("TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(REDIS_URL is None, reason="TEST_REDIS_URL is not set")


def unique_key() -> str:
    """An API key no other test (or earlier run) used: its budget and cache in Redis are new."""
    return f"cortex-test-key-{uuid.uuid4().hex}"


@asynccontextmanager
async def own_redis_server() -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A throwaway `redis-server` on a free port, with nothing saved; stopped at the end."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = await asyncio.create_subprocess_exec(
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        stdout=asyncio.subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                await client.ping()
                break
            except OSError:
                await asyncio.sleep(0.025)
            except redis.ConnectionError:
                await asyncio.sleep(0.025)
        yield url, server
    finally:
        await client.aclose()
        if server.returncode is None:
            server.terminate()
        await server.wait()
