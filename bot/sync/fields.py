"""The fields beyond name and description that a workspace lets its sync own in Rootly.

Each is off until an admin switches it on; a field that is off is never written and never
compared, so turning one on or off never disturbs what the others do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.scheduler import WallClock, utc_now
from bot.storage import as_utc, sync_fields


class SyncField(StrEnum):
    OWNERS = "owners"
    REPOSITORY = "repository"
    PAGING = "paging"
    SLACK_CHANNELS = "slack_channels"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_LABELS = {
    SyncField.OWNERS: "Owners",
    SyncField.REPOSITORY: "Repository",
    SyncField.PAGING: "Paging",
    SyncField.SLACK_CHANNELS: "Slack channels",
}
_EXPLANATIONS = {
    SyncField.OWNERS: "Cortex owner teams become Rootly teams, set as the service's owners",
    SyncField.REPOSITORY: "the GitHub or GitLab repository from Cortex's git data",
    SyncField.PAGING: "the PagerDuty or Opsgenie service from Cortex's on-call registration",
    SyncField.SLACK_CHANNELS: "the service's Slack channels from Cortex",
}


@dataclass(frozen=True)
class FieldChoice:
    """The fields an admin switched on for a workspace, and who did it when."""

    team_id: str
    fields: frozenset[SyncField]
    set_by: str
    set_at: datetime

    def ordered(self) -> list[SyncField]:
        return [field for field in SyncField if field in self.fields]


def _encode(fields: Iterable[SyncField]) -> str:
    return ",".join(field.value for field in SyncField if field in set(fields))


def _decode(stored: str) -> frozenset[SyncField]:
    # A value this version does not know (written by a newer one) is left out, not an error.
    known = {field.value for field in SyncField}
    return frozenset(SyncField(value) for value in stored.split(",") if value in known)


class FieldChoices:
    def __init__(self, engine: AsyncEngine, clock: WallClock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def get(self, team_id: str) -> FieldChoice | None:
        """The workspace's choice; None when no admin has made one (every field off)."""
        async with self._engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        select(sync_fields).where(sync_fields.c.team_id == team_id)
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return FieldChoice(
            team_id=team_id,
            fields=_decode(row["fields"]),
            set_by=row["set_by"],
            set_at=as_utc(row["set_at"]),
        )

    async def enabled(self, team_id: str) -> frozenset[SyncField]:
        choice = await self.get(team_id)
        return frozenset() if choice is None else choice.fields

    async def set(self, team_id: str, fields: Iterable[SyncField], set_by: str) -> FieldChoice:
        encoded, now = _encode(fields), self._clock()
        async with self._engine.begin() as connection:
            await connection.execute(delete(sync_fields).where(sync_fields.c.team_id == team_id))
            await connection.execute(
                insert(sync_fields).values(
                    team_id=team_id, fields=encoded, set_by=set_by, set_at=now
                )
            )
        return FieldChoice(team_id, _decode(encoded), set_by, now)

    async def forget(self, team_id: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(sync_fields).where(sync_fields.c.team_id == team_id))
