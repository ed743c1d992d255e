"""The HTTP server: the health check in-process, and `cortex-bot serve` as a real process."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from bot.config import Settings
from bot.web import create_web_app

ClientFactory = Callable[[Application], Awaitable[TestClient]]  # type: ignore[type-arg]


async def test_healthz_answers(aiohttp_client: ClientFactory) -> None:
    client = await aiohttp_client(create_web_app(Settings()))

    response = await client.get("/healthz")

    assert response.status == 200
    assert (await response.json())["status"] == "ok"


def _cortex_bot() -> list[str]:
    script = shutil.which("cortex-bot", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot.cli"]


async def test_serve_starts_the_server_on_port(unused_tcp_port: int, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PORT": str(unused_tcp_port),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
    }
    process = await asyncio.create_subprocess_exec(
        *_cortex_bot(), "serve", env=env, cwd=tmp_path, stderr=asyncio.subprocess.PIPE
    )
    try:
        status = await _wait_for_health(f"http://127.0.0.1:{unused_tcp_port}/healthz")
    finally:
        process.send_signal(signal.SIGTERM)
        _, raw_stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    stderr = raw_stderr.decode()

    assert status == 200
    assert process.returncode == 0
    assert "xoxb-test" not in stderr
    assert "test-signing-secret" not in stderr


async def _wait_for_health(url: str, attempts: int = 200) -> int:
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            try:
                async with session.get(url) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    return 0
