"""slack_sdk's SQLAlchemy stores: installations with every token sealed at rest, and OAuth states
that are deleted once expired.

Tokens are sealed on the way in and opened on the way out, each bound to its workspace (enterprise
and team), so bolt's OAuth flow, authorisation and token rotation work unchanged on top.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import Keyring, is_sealed
from bot.storage import sealing_key

SECRET_FIELDS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)

Record = TypeVar("Record", Bot, Installation)


def _context(field: str, enterprise_id: str | None, team_id: str | None) -> str:
    return f"slack_{field}:{enterprise_id or '-'}:{team_id or '-'}"


class EncryptedInstallationStore(AsyncSQLAlchemyInstallationStore):
    def __init__(self, client_id: str, engine: AsyncEngine, keyring: Keyring) -> None:
        super().__init__(client_id=client_id, engine=engine)
        self._keyring = keyring

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(self._transform(installation, self._seal))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._transform(bot, self._seal))

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        found = await super().async_find_bot(**kwargs)
        return self._transform(found, self._open) if found else None

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        found = await super().async_find_installation(**kwargs)
        return self._transform(found, self._open) if found else None

    async def unreadable(self) -> int:
        """How many workspaces' bot tokens are sealed with a key that is not in the keyring."""
        query = select(func.count(self.bots.c.team_id.distinct())).where(
            sealing_key(self.bots.c.bot_token).not_in(self._keyring.key_ids)
        )
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query) or 0)

    async def reseal_all(self) -> int:
        """Re-encrypt every stored token under the first configured key; how many were rewritten."""
        rewritten = 0
        for table in (self.installations, self.bots):
            rewritten += await self._reseal_table(table)
        return rewritten

    async def _reseal_table(self, table: Table) -> int:
        fields = [field for field in SECRET_FIELDS if field in table.c]
        rewritten = 0
        async with self.engine.begin() as connection:
            for row in (await connection.execute(select(table))).mappings().all():
                values = {
                    field: self._keyring.reseal(
                        row[field], _context(field, row["enterprise_id"], row["team_id"])
                    )
                    for field in fields
                    if row[field] and self._keyring.needs_resealing(row[field])
                }
                if values:
                    await connection.execute(
                        update(table).where(table.c.id == row["id"]).values(**values)
                    )
                    rewritten += len(values)
        return rewritten

    def _transform(self, record: Record, change: Any) -> Record:
        # The parent class calls back into our overrides (it saves installation.to_bot(), and finds
        # the latest bot while finding an installation), so sealing and opening are idempotent.
        values = {
            field: change(
                getattr(record, field), _context(field, record.enterprise_id, record.team_id)
            )
            for field in SECRET_FIELDS
            if getattr(record, field, None)
        }
        # Bot and Installation are plain classes: a shallow copy leaves the caller's untouched.
        changed = copy.copy(record)
        for field, value in values.items():
            setattr(changed, field, value)
        return changed

    def _seal(self, value: str, context: str) -> str:
        return value if is_sealed(value) else self._keyring.seal(value, context)

    def _open(self, value: str, context: str) -> str:
        return self._keyring.open(value, context) if is_sealed(value) else value


class ExpiringOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """OAuth states whose expired rows are deleted. slack_sdk deletes a state when it is used;
    anyone can open /slack/install without finishing, so each new state clears the expired ones
    and the table stays as large as the installs started within the expiry."""

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        # slack_sdk stores expiries as naive UTC.
        now = datetime.now(UTC).replace(tzinfo=None)
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(self.oauth_states).where(self.oauth_states.c.expire_at <= now)
            )
        return str(await super().async_issue(*args, **kwargs))
