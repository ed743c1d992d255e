"""The database: engine, tables the bot owns, and Alembic migrations.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) is used when several processes
share state. The schema is owned by Alembic (`bot/migrations`); `cortex-bot migrate` applies it.
Processes that use the database (`serve`, `worker`, `sync`) start through `prepare_database`: the
embedded default is migrated there (it has no release phase); any other database must already be
up to date, or the process refuses to start, naming `cortex-bot migrate`. `/healthz` reads
`database_health`, so it is 503 whenever the schema falls behind too.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.config import sqlite_path
from bot.crypto import KEY_ID_LENGTH, PREFIX

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


request_claims = Table(
    "request_claims",
    metadata,
    Column("claim_key", String(64), primary_key=True),
    Column("team_id", String(32), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
    # Old claims are swept by time (`bot.claims`).
    Index("request_claims_claimed_at", "claimed_at"),
)


def sealing_key(column: ColumnElement[str]) -> ColumnElement[str]:
    """The id of the key that sealed a stored secret (`enc:v1:<key id>:…`, see `bot.crypto`)."""
    return func.substr(column, len(PREFIX) + 1, KEY_ID_LENGTH)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back the naive UTC time that was stored; PostgreSQL an aware one."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
    path = sqlite_path(database_url)
    with _taking_turns(path) if path else nullcontext():
        command.upgrade(alembic_config(database_url), "head")


@contextmanager
def _taking_turns(database: Path) -> Iterator[None]:
    """Processes migrating one SQLite file at once (`serve` and `worker` starting together) take
    turns: Alembic runs SQLite's DDL outside a transaction, so the second would find half a
    schema. The lock is a file of its own: closing any descriptor of the database itself would
    drop SQLite's own locks."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.with_name(f"{database.name}.migrating"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# How long a health check waits for the database: an orchestrator's probe must get an answer.
HEALTH_CHECK_SECONDS = 2.0


class Schema(StrEnum):
    CURRENT = "current"
    # No schema yet, or an older one: `cortex-bot migrate` brings it up to date.
    BEHIND = "behind"
    # Migrated by a newer release of the bot, during a rolling deploy: still this one's tables.
    NEWER = "newer"
    # The database did not answer.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DatabaseHealth:
    answers: bool
    schema: Schema

    @property
    def usable(self) -> bool:
        return self.answers and self.schema in (Schema.CURRENT, Schema.NEWER)


@cache
def _scripts() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config)


def _applied(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def schema_of(applied: tuple[str, ...]) -> Schema:
    """Where the applied revisions stand against this code's migrations."""
    if set(applied) == set(_scripts().get_heads()):
        return Schema.CURRENT
    if applied and not all(_known(revision) for revision in applied):
        return Schema.NEWER
    return Schema.BEHIND


async def database_health(engine: AsyncEngine) -> DatabaseHealth:
    """Whether the database answers within `HEALTH_CHECK_SECONDS`, and where its schema stands.
    The schema's version is read from a table (`SELECT 1` needs none, so SQLite answers it even
    when the file is locked). A read that takes longer is left to finish on its own (it never
    raises): cancelling it would wait for SQLite's busy timeout."""
    read = asyncio.ensure_future(_read_health(engine))
    done, _ = await asyncio.wait({read}, timeout=HEALTH_CHECK_SECONDS)
    return read.result() if read in done else DatabaseHealth(answers=False, schema=Schema.UNKNOWN)


async def _read_health(engine: AsyncEngine) -> DatabaseHealth:
    try:
        async with engine.connect() as connection:
            applied = await connection.run_sync(_applied)
    except Exception:
        return DatabaseHealth(answers=False, schema=Schema.UNKNOWN)
    return DatabaseHealth(answers=True, schema=schema_of(applied))


class DatabaseNotReadyError(Exception):
    """The database cannot be used as it is: one line saying what to do."""


async def _schema_at_start(database_url: str) -> Schema:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            return schema_of(await connection.run_sync(_applied))
    except Exception as error:
        # The error's text is left out: a driver's message may quote the URL and its password.
        raise DatabaseNotReadyError(
            f"cannot reach the database ({type(error).__name__}): check DATABASE_URL."
        ) from None
    finally:
        await engine.dispose()


def prepare_database(database_url: str) -> None:
    """Make sure a starting process can use the database, before it does anything else.

    The embedded SQLite default is migrated here: it has no release phase. Any other database is
    only checked: one whose schema is behind this code stops the process with one line naming
    `cortex-bot migrate`, which the release phase (or an operator) runs once per deploy.
    Runs its own event loop: call it outside one."""
    if sqlite_path(database_url) is not None:
        migrate(database_url)
    elif asyncio.run(_schema_at_start(database_url)) is Schema.BEHIND:
        raise DatabaseNotReadyError(
            "the database schema is behind this version of cortex-bot: "
            "run `cortex-bot migrate` first."
        )


# A named lease held by one process until it expires: one sync per workspace across processes.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Each Cortex → Rootly sync's result; `report` is the JSON of `bot.sync.report.SyncReport`.
sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team_id", String(32), nullable=False, index=True),
    Column("triggered_by", String(32), nullable=False),
    Column("mode", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("report", Text, nullable=False),
)

# Each workspace's automatic sync: how often, and when the next one is due.
sync_schedules = Table(
    "sync_schedules",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("frequency", String(16), nullable=False),
    Column("next_due_at", DateTime(timezone=True), nullable=False),
    Column("set_by", String(32), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# The fields beyond name and description that an admin let the workspace's sync own in Rootly:
# `fields` is a comma-separated list of `bot.sync.fields.SyncField` values (empty: none).
sync_fields = Table(
    "sync_fields",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("fields", String(200), nullable=False),
    Column("set_by", String(32), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# Scheduled digests (`bot.digests`). The id is derived from the workspace, channel and scope, so
# scheduling the same scope again in a channel changes that digest instead of adding another.
# `weekday` is "0" (Monday) to "6" for weekly digests; `snapshot` is the JSON of the services in
# scope at the last digest (tag → archived), what the next one diffs against; `environment`
# narrows its deploys to one environment (`env=`).
SCOPE_TAG_LENGTH = 200
digests = Table(
    "digests",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("team_id", String(32), nullable=False, index=True),
    Column("channel_id", String(32), nullable=False),
    Column("group_tag", String(SCOPE_TAG_LENGTH)),
    Column("owner_tag", String(SCOPE_TAG_LENGTH)),
    Column("environment", String(SCOPE_TAG_LENGTH)),
    Column("frequency", String(8), nullable=False),
    Column("local_time", String(5), nullable=False),
    Column("weekday", String(1)),
    Column("timezone", String(64), nullable=False),
    Column("created_by", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_due_at", DateTime(timezone=True), nullable=False, index=True),
    Column("covered_until", DateTime(timezone=True)),
    Column("snapshot", Text),
    Column("disabled_reason", String(64)),
)

# One row per digest and slot: the claim that lets one process post it, then what became of it.
digest_slots = Table(
    "digest_slots",
    metadata,
    Column("digest_id", String(32), primary_key=True),
    Column("slot_at", DateTime(timezone=True), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("holder", String(64)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# The incident autopilot (`bot.autopilot`): each workspace's Rootly webhook. A delivery is matched
# by the SHA-256 of the token in its URL; the secret that signs deliveries is sealed like the keys.
# `endpoint_id` is Rootly's id of the endpoint the bot registered (None: entered in Rootly by hand).
autopilot_webhooks = Table(
    "autopilot_webhooks",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("secret", Text, nullable=False),
    Column("endpoint_id", String(64)),
    Column("channel_id", String(32), nullable=False),
    Column("window_minutes", Integer, nullable=False),
    Column("enabled_by", String(32), nullable=False),
    Column("enabled_at", DateTime(timezone=True), nullable=False),
    Column("last_delivery_at", DateTime(timezone=True)),
    Column("last_incident_id", String(64)),
    Column("last_incident_title", String(300)),
    Column("last_outcome", String(32)),
    Column("last_detail", String(300)),
    Column("last_channel_id", String(32)),
)

# The one Cortex context message of each incident: where it is, which Cortex services it shows
# (a JSON list), whether every part could be read, and the changes already put on the incident's
# Rootly timeline (a JSON list of their ids).
autopilot_incidents = Table(
    "autopilot_incidents",
    metadata,
    Column("team_id", String(32), primary_key=True),
    Column("incident_id", String(64), primary_key=True),
    Column("channel_id", String(32), nullable=False),
    Column("message_ts", String(32), nullable=False),
    Column("services", Text, nullable=False),
    Column("complete", Boolean, nullable=False),
    Column("timeline", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
