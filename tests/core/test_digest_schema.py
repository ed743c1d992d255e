"""The digests' tables: migration 0004 creates what bot.storage declares, and reverts."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import alembic_config, metadata

DIGEST_TABLES = {"digests", "digest_slots"}


def _about_digests(difference: Any) -> bool:
    return any(table in repr(difference) for table in DIGEST_TABLES)


def _differences(connection: Connection) -> list[Any]:
    differences = compare_metadata(MigrationContext.configure(connection), metadata)
    return [difference for difference in differences if _about_digests(difference)]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_the_migration_matches_the_declared_tables(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []
        assert await connection.run_sync(_tables) >= DIGEST_TABLES


async def test_the_migration_reverts(database_url: str, engine: AsyncEngine) -> None:
    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0003")
    async with engine.connect() as connection:
        assert not await connection.run_sync(_tables) & DIGEST_TABLES

    await asyncio.to_thread(command.upgrade, config, "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) >= DIGEST_TABLES
