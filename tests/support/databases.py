"""The databases storage tests run on: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage import create_engine, migrate

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


async def migrate_in_thread(database_url: str) -> None:
    """Alembic runs its own event loop, so a test (inside one) migrates from a thread."""
    await asyncio.to_thread(migrate, database_url)


async def reset_postgres(url: str) -> None:
    """Start from an empty schema: the test database belongs to the tests."""
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set"),
        ),
    ]
)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'cortex-bot.db'}"
    else:
        assert POSTGRES_URL is not None
        url = POSTGRES_URL
        await reset_postgres(url)
    await migrate_in_thread(url)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()
