"""Running `cortex-bot` as a real process: its command, a free port, and waiting for it to start.

Used by the end-to-end tests and the benchmarks, which drive the bot only over HTTP.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import sys
from pathlib import Path

import aiohttp

START_SECONDS = 20.0


def cortex_bot_command() -> list[str]:
    """The console script of this environment (or the module, where it is not installed)."""
    script = shutil.which("cortex-bot", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "bot.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def health_status(base_url: str) -> int:
    """The status of `GET /healthz` once the process answers at all (0 if it never does)."""
    deadline = asyncio.get_running_loop().time() + START_SECONDS
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            try:
                async with session.get(f"{base_url}/healthz") as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    return 0
