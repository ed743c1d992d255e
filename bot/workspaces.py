"""Each workspace's connection to Cortex (and optionally Rootly), with its keys sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import SecretStr
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import Keyring
from bot.storage import as_utc, workspaces

CORTEX_KEY = "cortex_key"
ROOTLY_KEY = "rootly_key"


def masked(last4: str) -> str:
    """How a stored key is shown again: its last four characters only, as Cortex does."""
    return f"••••{last4}"


def last4(key: str) -> str:
    return key[-4:]


@dataclass(frozen=True)
class Connection:
    team_id: str
    cortex_url: str
    cortex_key: SecretStr
    cortex_key_last4: str
    rootly_key: SecretStr | None
    rootly_key_last4: str | None
    connected_by: str
    connected_at: datetime

    @property
    def has_rootly(self) -> bool:
        return self.rootly_key is not None


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
        async with self._engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        select(workspaces).where(workspaces.c.team_id == team_id)
                    )
                )
                .mappings()
                .first()
            )
        return self._open(row) if row is not None else None

    async def save(self, team_id: str, keys: NewKeys, connected_by: str) -> Connection:
        """Store a connection; a key left as None keeps the one already stored."""
        values: dict[str, object] = {
            "cortex_url": keys.cortex_url,
            "connected_by": connected_by,
            "connected_at": datetime.now(UTC),
        }
        for column, key in ((CORTEX_KEY, keys.cortex_key), (ROOTLY_KEY, keys.rootly_key)):
            if key is not None:
                values[column] = self._keyring.seal(key, f"{column}:{team_id}")
                values[f"{column}_last4"] = last4(key)
        async with self._engine.begin() as connection:
            updated = await connection.execute(
                update(workspaces).where(workspaces.c.team_id == team_id).values(**values)
            )
            if updated.rowcount == 0:
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

    def _open(self, row: RowMapping) -> Connection:
        team_id = row["team_id"]
        rootly = row[ROOTLY_KEY]
        return Connection(
            team_id=team_id,
            cortex_url=row["cortex_url"],
            cortex_key=SecretStr(self._keyring.open(row[CORTEX_KEY], f"{CORTEX_KEY}:{team_id}")),
            cortex_key_last4=row["cortex_key_last4"],
            rootly_key=(
                SecretStr(self._keyring.open(rootly, f"{ROOTLY_KEY}:{team_id}")) if rootly else None
            ),
            rootly_key_last4=row["rootly_key_last4"],
            connected_by=row["connected_by"],
            connected_at=as_utc(row["connected_at"]),
        )
