"""The sync's tables: the migration creates exactly what bot.storage declares, and reverts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import alembic_config, metadata

SYNC_TABLES = {"leases", "sync_runs", "sync_schedules", "sync_fields"}


def _table_name(difference: Any) -> str:
    """The table one of alembic's differences is about (column changes come grouped in lists)."""
    kind, *details = difference[0] if isinstance(difference, list) else difference
    if kind.endswith("_table"):
        return str(details[0].name)
    if kind.endswith("_index"):
        return str(details[0].table.name)
    return str(details[1])  # (schema, table name, column...)


def _sync_differences(connection: Connection) -> list[Any]:
    differences = compare_metadata(MigrationContext.configure(connection), metadata)
    return [change for change in differences if _table_name(change) in SYNC_TABLES]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _alembic(step: Callable[[Config, str], None], database_url: str, revision: str) -> None:
    await asyncio.to_thread(step, alembic_config(database_url), revision)


async def test_the_migration_matches_the_declared_tables(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_sync_differences) == []


async def test_the_migration_reverts(database_url: str, engine: AsyncEngine) -> None:
    await _alembic(command.downgrade, database_url, "0002")
    async with engine.connect() as connection:
        assert not await connection.run_sync(_tables) & SYNC_TABLES

    await _alembic(command.upgrade, database_url, "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) >= SYNC_TABLES
