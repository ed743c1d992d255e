"""Each workspace's connection to Cortex (and optionally Rootly), with its keys sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import delete, func, insert, select, true, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import DecryptionError, Keyring
from bot.errors import KeyNotEnteredForUrlError
from bot.storage import as_utc, sealing_key, workspaces

CORTEX_KEY = "cortex_key"
ROOTLY_KEY = "rootly_key"


def masked(last4: str) -> str:
    """How a stored key is shown again: its last four characters only, as Cortex does."""
    return f"••••{last4}"


def last4(key: str) -> str:
    return key[-4:]


@dataclass(frozen=True, kw_only=True)
class ConnectionInfo:
    """A workspace's connection as it is shown: no key in it, so it reads even when the stored
    keys cannot be opened (`keys_readable`: the key file was lost, ENCRYPTION_KEYS changed)."""

    team_id: str
    cortex_url: str
    cortex_key_last4: str
    rootly_key_last4: str | None
    connected_by: str
    connected_at: datetime
    keys_readable: bool = True

    @property
    def has_rootly(self) -> bool:
        return self.rootly_key_last4 is not None


@dataclass(frozen=True, kw_only=True)
class Connection(ConnectionInfo):
    """A connection with its keys, opened."""

    cortex_key: SecretStr
    rootly_key: SecretStr | None


@dataclass(frozen=True)
class NewKeys:
    """What an admin submitted; None keeps the stored key (an empty field in the modal)."""

    cortex_url: str
    cortex_key: str | None
    rootly_key: str | None


class WorkspaceStore:
    def __init__(self, engine: AsyncEngine, keyring: Keyring) -> None:
        self._engine = engine
        self._keyring = keyring

    async def get(self, team_id: str) -> Connection | None:
        """The connection with its keys; `DecryptionError` when they cannot be opened."""
        row = await self._row(team_id)
        return self._open(row) if row is not None else None

    async def describe(self, team_id: str) -> ConnectionInfo | None:
        """The connection as shown, whether or not its keys can be opened."""
        row = await self._row(team_id)
        if row is None:
            return None
        return ConnectionInfo(**_shown(row), keys_readable=self._opens(row))

    async def unreadable(self) -> int:
        """How many workspaces hold a key sealed with a key that is not in the keyring."""
        known = self._keyring.key_ids
        query = select(func.count()).where(
            (sealing_key(workspaces.c.cortex_key).not_in(known))
            | (sealing_key(workspaces.c.rootly_key).not_in(known))
        )
        async with self._engine.connect() as connection:
            return int(await connection.scalar(query) or 0)

    async def _row(self, team_id: str) -> RowMapping | None:
        async with self._engine.connect() as connection:
            found = await connection.execute(
                select(workspaces).where(workspaces.c.team_id == team_id)
            )
            return found.mappings().first()

    def _opens(self, row: RowMapping) -> bool:
        return all(self._key_opens(row, column) for column in (CORTEX_KEY, ROOTLY_KEY))

    async def save(self, team_id: str, keys: NewKeys, connected_by: str) -> Connection:
        """Store a connection; a key left as None keeps the one already stored, if it can still be
        opened (an unreadable Rootly key is dropped, an unreadable Cortex key must be entered
        again: `DecryptionError`) and only for the URL it was entered for (a Cortex key at a new
        URL must be entered again: `KeyNotEnteredForUrlError`)."""
        values: dict[str, object] = {
            "cortex_url": keys.cortex_url,
            "connected_by": connected_by,
            "connected_at": datetime.now(UTC),
        }
        stored = await self._row(team_id)
        for column, key in ((CORTEX_KEY, keys.cortex_key), (ROOTLY_KEY, keys.rootly_key)):
            if key is not None:
                values[column] = self._keyring.seal(key, f"{column}:{team_id}")
                values[f"{column}_last4"] = last4(key)
            elif stored is not None and not self._key_opens(stored, column):
                if column == CORTEX_KEY:
                    raise DecryptionError("the stored Cortex key cannot be read: enter it again")
                values[column] = values[f"{column}_last4"] = None
        # Checked in the UPDATE itself, so a URL changed meanwhile by another admin counts too.
        key_stays_with_its_url = (
            true() if keys.cortex_key is not None else workspaces.c.cortex_url == keys.cortex_url
        )
        async with self._engine.begin() as connection:
            updated = await connection.execute(
                update(workspaces)
                .where(workspaces.c.team_id == team_id, key_stays_with_its_url)
                .values(**values)
            )
            if updated.rowcount == 0:
                if keys.cortex_key is None:
                    raise KeyNotEnteredForUrlError(team_id)
                await connection.execute(insert(workspaces).values(team_id=team_id, **values))
        saved = await self.get(team_id)
        assert saved is not None
        return saved

    async def forget(self, team_id: str) -> bool:
        """Delete the workspace's keys and settings; whether there was anything to delete."""
        async with self._engine.begin() as connection:
            deleted = await connection.execute(
                delete(workspaces).where(workspaces.c.team_id == team_id)
            )
        return bool(deleted.rowcount)

    async def reseal_all(self) -> int:
        """Re-encrypt every stored key under the first configured key; how many were rewritten."""
        rewritten = 0
        async with self._engine.begin() as connection:
            rows = (await connection.execute(select(workspaces))).mappings().all()
            for row in rows:
                values = {
                    column: self._keyring.reseal(row[column], f"{column}:{row['team_id']}")
                    for column in (CORTEX_KEY, ROOTLY_KEY)
                    if row[column] is not None and self._keyring.needs_resealing(row[column])
                }
                if values:
                    await connection.execute(
                        update(workspaces)
                        .where(workspaces.c.team_id == row["team_id"])
                        .values(**values)
                    )
                    rewritten += len(values)
        return rewritten

    def _key_opens(self, row: RowMapping, column: str) -> bool:
        sealed = row[column]
        if sealed is None:
            return True
        try:
            self._keyring.open(sealed, f"{column}:{row['team_id']}")
        except DecryptionError:
            return False
        return True

    def _open(self, row: RowMapping) -> Connection:
        team_id = row["team_id"]
        rootly = row[ROOTLY_KEY]
        return Connection(
            **_shown(row),
            cortex_key=SecretStr(self._keyring.open(row[CORTEX_KEY], f"{CORTEX_KEY}:{team_id}")),
            rootly_key=(
                SecretStr(self._keyring.open(rootly, f"{ROOTLY_KEY}:{team_id}")) if rootly else None
            ),
        )


def _shown(row: RowMapping) -> dict[str, Any]:
    return {
        "team_id": row["team_id"],
        "cortex_url": row["cortex_url"],
        "cortex_key_last4": row["cortex_key_last4"],
        "rootly_key_last4": row["rootly_key_last4"],
        "connected_by": row["connected_by"],
        "connected_at": as_utc(row["connected_at"]),
    }
