"""The migrations create exactly the tables bot.storage declares, and each one reverts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import alembic_config, metadata

# The tables each migration adds, and the revision before it.
MIGRATIONS = [
    pytest.param({"leases", "sync_runs", "sync_schedules"}, "0002", id="sync"),
    pytest.param({"digests", "digest_slots"}, "0003", id="digests"),
    pytest.param({"sync_fields"}, "0004", id="sync fields"),
    pytest.param({"autopilot_webhooks", "autopilot_incidents"}, "0005", id="autopilot"),
]


def _table_name(difference: Any) -> str:
    """The table one of alembic's differences is about (column changes come grouped in lists)."""
    kind, *details = difference[0] if isinstance(difference, list) else difference
    if kind.endswith(("_table", "_constraint")):
        return str(getattr(details[0], "name", None) or details[0].table.name)
    if kind.endswith("_index"):
        return str(details[0].table.name)
    return str(details[1])  # (schema, table name, column...)


def _differences(connection: Connection) -> list[Any]:
    """How the database differs from the declared tables (tables of slack_sdk's stores aside)."""
    differences = compare_metadata(MigrationContext.configure(connection), metadata)
    return [change for change in differences if _table_name(change) in metadata.tables]


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _alembic(step: Callable[[Config, str], None], database_url: str, revision: str) -> None:
    await asyncio.to_thread(step, alembic_config(database_url), revision)


async def test_the_migrations_match_the_declared_tables(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


@pytest.mark.parametrize(("tables", "before"), MIGRATIONS)
async def test_a_migration_reverts(
    database_url: str, engine: AsyncEngine, tables: set[str], before: str
) -> None:
    await _alembic(command.downgrade, database_url, before)
    async with engine.connect() as connection:
        assert not await connection.run_sync(_tables) & tables

    await _alembic(command.upgrade, database_url, "head")
    async with engine.connect() as connection:
        assert await connection.run_sync(_tables) >= tables
