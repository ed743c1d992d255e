"""The database: engine, tables the bot owns, and Alembic migrations.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) is used when several processes
share state. The schema is owned by Alembic (`bot/migrations`); `cortex-bot migrate` applies it, and
`serve` applies it on start for the embedded default.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import sqlite_path

MIGRATIONS = Path(__file__).with_name("migrations")

metadata = MetaData()

workspaces = Table(
    "workspaces",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("cortex_url", String(500), nullable=False),
    Column("cortex_key", Text, nullable=False),
    Column("cortex_key_last4", String(4), nullable=False),
    Column("rootly_key", Text),
    Column("rootly_key_last4", String(4)),
    Column("connected_by", String(32), nullable=False),
    Column("connected_at", DateTime(timezone=True), nullable=False),
)


def create_engine(database_url: str) -> AsyncEngine:
    database_file = sqlite_path(database_url)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    return create_async_engine(database_url, pool_pre_ping=True)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Bring the schema up to date. Runs its own event loop: call it outside one, or in a thread."""
    command.upgrade(alembic_config(database_url), "head")


async def migrate_in_thread(database_url: str) -> None:
    await asyncio.to_thread(migrate, database_url)


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True
