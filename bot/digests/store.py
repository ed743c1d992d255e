"""Scheduled digests in the database, and the claims that post each slot exactly once.

A digest is due when its `next_due_at` has passed. Any process may then claim the slot: a row in
`digest_slots` keyed on (digest, slot) that an INSERT creates once (the primary key lets only one
process win), holding a claim expiry. The holder builds the digest, marks the slot `posting` (only
while its claim is still live: a fence against a holder that stalled past its expiry), posts, and
completes it: slot `posted` and the digest moved on to its next slot, in one transaction.

A process that dies before posting leaves a `claimed` row that expires; the next process takes it
over and posts. One that dies while posting leaves a `posting` row: whether Slack got the message is
unknown, so the slot is given up rather than risk posting it twice. Both statements are atomic on
SQLite and PostgreSQL alike (on PostgreSQL a concurrent INSERT waits for the other to commit).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import and_, delete, exists, func, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from bot.digests.schedule import Recurrence
from bot.scheduler import Room
from bot.storage import SCOPE_TAG_LENGTH, as_utc, digest_slots, digests

log = logging.getLogger(__name__)

# Finished slots are kept a while for inspection, then dropped.
KEEP_SLOTS_FOR = timedelta(days=35)

# The services in scope when a digest was posted: tag → archived.
Snapshot = Mapping[str, bool]


class SlotState(StrEnum):
    CLAIMED = "claimed"  # a process is building it (or will retry it after `expires_at`)
    POSTING = "posting"  # the post was sent or is being sent
    POSTED = "posted"
    SKIPPED = "skipped"  # too late (beyond the grace period) or nothing could be read
    ABANDONED = "abandoned"  # its poster died mid-post: maybe posted, never posted again
    DISABLED = "disabled"  # the channel is gone; the digest was turned off


LIVE_STATES = (SlotState.CLAIMED, SlotState.POSTING)


@dataclass(frozen=True)
class Scope:
    """What a digest covers: all services, or those of a Cortex group and/or owner team; all
    deploys, or those to one environment (each at most `MAX_TAG` characters, as stored)."""

    MAX_TAG: ClassVar[int] = SCOPE_TAG_LENGTH

    group: str | None = None
    owner: str | None = None
    environment: str | None = None


@dataclass(frozen=True)
class Digest:
    id: str
    team_id: str
    channel_id: str
    scope: Scope
    recurrence: Recurrence
    created_by: str
    created_at: datetime
    next_due_at: datetime
    covered_until: datetime | None
    disabled_reason: str | None  # why it was turned off (Slack's error), None while it runs


@dataclass(frozen=True)
class NewDigest:
    team_id: str
    channel_id: str
    scope: Scope
    recurrence: Recurrence
    created_by: str


@dataclass(frozen=True)
class Claim:
    """A slot of a digest that this process holds until `expires_at`."""

    digest: Digest
    slot: datetime
    holder: str


@dataclass(frozen=True)
class Done:
    """What a finished slot changes on its digest besides the next due time."""

    covered_until: datetime | None = None  # posted: the end of the window it covered
    snapshot: Snapshot | None = None  # posted: the services in scope then
    disabled_reason: str | None = None  # the channel is gone: why

    def values(self) -> dict[str, object]:
        values: dict[str, object] = {}
        if self.covered_until is not None:
            values["covered_until"] = self.covered_until
        if self.snapshot is not None:
            values["snapshot"] = json.dumps(dict(self.snapshot))
        if self.disabled_reason is not None:
            values["disabled_reason"] = self.disabled_reason
        return values


def digest_id(team_id: str, channel_id: str, scope: Scope) -> str:
    parts = (team_id, channel_id, scope.group or "", scope.owner or "")
    # Last, and only when given, so that digests scheduled before `env=` existed keep their ids.
    narrowed = (scope.environment,) if scope.environment else ()
    return hashlib.sha256("\x1f".join((*parts, *narrowed)).encode()).hexdigest()[:32]


# Every column but the snapshot, which only a digest being built needs.
_COLUMNS = [column for column in digests.c if column.name != "snapshot"]


def _digest(row: RowMapping) -> Digest:
    weekday = row["weekday"]
    covered_until = row["covered_until"]
    return Digest(
        id=row["id"],
        team_id=row["team_id"],
        channel_id=row["channel_id"],
        scope=Scope(row["group_tag"], row["owner_tag"], row["environment"]),
        recurrence=Recurrence(
            frequency=row["frequency"],
            at=time.fromisoformat(row["local_time"]),
            zone=row["timezone"],
            weekday=None if weekday is None else int(weekday),
        ),
        created_by=row["created_by"],
        created_at=as_utc(row["created_at"]),
        next_due_at=as_utc(row["next_due_at"]),
        covered_until=None if covered_until is None else as_utc(covered_until),
        disabled_reason=row["disabled_reason"],
    )


def _slot_key(claim: Claim) -> ColumnElement[bool]:
    return and_(digest_slots.c.digest_id == claim.digest.id, digest_slots.c.slot_at == claim.slot)


def _held(claim: Claim, state: SlotState) -> ColumnElement[bool]:
    return and_(
        _slot_key(claim), digest_slots.c.holder == claim.holder, digest_slots.c.state == state
    )


class DigestStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    # --- schedules -------------------------------------------------------------------------

    async def schedule(self, new: NewDigest, now: datetime, snapshot: Snapshot) -> Digest:
        """Schedule a digest; the same scope in the same channel is rescheduled (and re-enabled).
        `snapshot` is what the first digest will compare the catalog with."""
        found_id = digest_id(new.team_id, new.channel_id, new.scope)
        recurrence = new.recurrence
        values = {
            "frequency": recurrence.frequency,
            "local_time": recurrence.at.strftime("%H:%M"),
            "weekday": None if recurrence.weekday is None else str(recurrence.weekday),
            "timezone": recurrence.zone,
            "created_by": new.created_by,
            "created_at": now,
            "next_due_at": recurrence.next_after(now),
            "disabled_reason": None,
        }
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                update(digests).where(digests.c.id == found_id).values(**values)
            )
            if not changed.rowcount:
                await connection.execute(
                    insert(digests).values(
                        id=found_id,
                        team_id=new.team_id,
                        channel_id=new.channel_id,
                        group_tag=new.scope.group,
                        owner_tag=new.scope.owner,
                        environment=new.scope.environment,
                        snapshot=json.dumps(dict(snapshot)),
                        **values,
                    )
                )
        scheduled = await self.get(new.team_id, found_id)
        assert scheduled is not None
        return scheduled

    async def get(self, team_id: str, found_id: str) -> Digest | None:
        found = await self._select(digests.c.team_id == team_id, digests.c.id == found_id)
        return found[0] if found else None

    async def for_channel(self, team_id: str, channel_id: str) -> list[Digest]:
        return await self._select(digests.c.team_id == team_id, digests.c.channel_id == channel_id)

    async def for_workspace(self, team_id: str) -> list[Digest]:
        return await self._select(digests.c.team_id == team_id)

    async def snapshot(self, found_id: str) -> Snapshot | None:
        async with self._engine.connect() as connection:
            stored = await connection.scalar(
                select(digests.c.snapshot).where(digests.c.id == found_id)
            )
        return None if stored is None else dict(json.loads(stored))

    async def delete(self, team_id: str, channel_id: str, found_id: str) -> Digest | None:
        """Delete one of the channel's digests; the deleted digest, or None if there was none."""
        found = await self.get(team_id, found_id)
        if found is None or found.channel_id != channel_id:
            return None
        await self._delete(digests.c.team_id == team_id, digests.c.id == found_id)
        return found

    async def delete_channel(self, team_id: str, channel_id: str) -> list[Digest]:
        found = await self.for_channel(team_id, channel_id)
        await self._delete(digests.c.team_id == team_id, digests.c.channel_id == channel_id)
        return found

    async def forget_workspace(self, team_id: str) -> int:
        """Delete every digest of a workspace (when the app is uninstalled); how many there were."""
        return len(await self._delete(digests.c.team_id == team_id))

    async def _select(self, *where: ColumnElement[bool]) -> list[Digest]:
        query = select(*_COLUMNS).where(*where).order_by(digests.c.created_at)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_digest(row) for row in rows]

    async def _delete(self, *where: ColumnElement[bool]) -> list[str]:
        async with self._engine.begin() as connection:
            ids = list(await connection.scalars(select(digests.c.id).where(*where)))
            await connection.execute(delete(digest_slots).where(digest_slots.c.digest_id.in_(ids)))
            await connection.execute(delete(digests).where(digests.c.id.in_(ids)))
        return ids

    # --- slots -----------------------------------------------------------------------------

    async def due(self, now: datetime, room: Room) -> list[Digest]:
        """Active digests due at `now` whose slot no live process holds, of workspaces with room
        left, taken fairly: the longest overdue of each channel only (one runs per channel at a
        time), then round-robin between workspaces (each one's first, then each one's second...)."""
        held = exists().where(
            digest_slots.c.digest_id == digests.c.id,
            digest_slots.c.state.in_(LIVE_STATES),
            digest_slots.c.expires_at > now,
        )
        overdue = (digests.c.next_due_at, digests.c.id)
        by_channel = (
            select(
                *_COLUMNS,
                func.row_number()
                .over(partition_by=(digests.c.team_id, digests.c.channel_id), order_by=overdue)
                .label("in_channel"),
            )
            .where(
                digests.c.next_due_at <= now,
                digests.c.disabled_reason.is_(None),
                ~held,
                digests.c.team_id.not_in(room.full_teams),
            )
            .subquery()
        )
        first_of_channels = select(
            *(by_channel.c[column.name] for column in _COLUMNS),
            func.row_number()
            .over(
                partition_by=by_channel.c.team_id,
                order_by=(by_channel.c.next_due_at, by_channel.c.id),
            )
            .label("in_workspace"),
        ).where(by_channel.c.in_channel == 1)
        fair = first_of_channels.subquery()
        query = (
            select(*(fair.c[column.name] for column in _COLUMNS))
            .where(fair.c.in_workspace <= room.per_workspace)
            .order_by(fair.c.in_workspace, fair.c.next_due_at, fair.c.id)
            .limit(room.total)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).mappings().all()
        return [_digest(row) for row in rows]

    async def claim(
        self, digest: Digest, slot: datetime, holder: str, until: datetime, now: datetime
    ) -> Claim | None:
        """Hold the slot until `until`: a new slot, or one whose holder let its claim expire."""
        claim = Claim(digest, slot, holder)
        if await self._insert_claim(claim, until):
            return claim
        async with self._engine.begin() as connection:
            taken = await connection.execute(
                update(digest_slots)
                .where(
                    _slot_key(claim),
                    digest_slots.c.state == SlotState.CLAIMED,
                    digest_slots.c.expires_at <= now,
                )
                .values(holder=holder, expires_at=until)
            )
            if taken.rowcount:
                return claim
            if await self._give_up_dead_post(connection, claim, now):
                log.warning(
                    "digest %s: the process posting the slot of %s stopped mid-post; it may not "
                    "have been posted, and it is not posted again",
                    digest.id,
                    slot.isoformat(),
                )
        return None

    async def _insert_claim(self, claim: Claim, until: datetime) -> bool:
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(digest_slots).values(
                        digest_id=claim.digest.id,
                        slot_at=claim.slot,
                        state=SlotState.CLAIMED,
                        holder=claim.holder,
                        expires_at=until,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def _give_up_dead_post(
        self, connection: AsyncConnection, claim: Claim, now: datetime
    ) -> bool:
        abandoned = await connection.execute(
            update(digest_slots)
            .where(
                _slot_key(claim),
                digest_slots.c.state == SlotState.POSTING,
                digest_slots.c.expires_at <= now,
            )
            .values(state=SlotState.ABANDONED, holder=None)
        )
        if abandoned.rowcount:
            await self._move_on(
                connection, claim, {"next_due_at": claim.digest.recurrence.next_after(now)}
            )
        return bool(abandoned.rowcount)

    async def start_posting(self, claim: Claim, now: datetime, until: datetime) -> bool:
        """Mark the slot as being posted, if the claim is still ours and live; whether it was."""
        async with self._engine.begin() as connection:
            marked = await connection.execute(
                update(digest_slots)
                .where(_held(claim, SlotState.CLAIMED), digest_slots.c.expires_at > now)
                .values(state=SlotState.POSTING, expires_at=until)
            )
        return bool(marked.rowcount)

    async def complete(self, claim: Claim, state: SlotState, now: datetime, done: Done) -> None:
        """End the slot in `state` and move the digest on to its next slot after `now`. Only the
        holder completes a slot, and a digest never moves back (another process may have moved
        it further already)."""
        async with self._engine.begin() as connection:
            ended = await connection.execute(
                update(digest_slots)
                .where(_slot_key(claim), digest_slots.c.holder == claim.holder)
                .values(state=state, holder=None, expires_at=now)
            )
            if ended.rowcount:
                next_due = claim.digest.recurrence.next_after(max(now, claim.slot))
                await self._move_on(connection, claim, {**done.values(), "next_due_at": next_due})
                await connection.execute(
                    delete(digest_slots).where(
                        digest_slots.c.digest_id == claim.digest.id,
                        digest_slots.c.slot_at < claim.slot - KEEP_SLOTS_FOR,
                    )
                )

    async def release(self, claim: Claim, retry_at: datetime) -> None:
        """Let any process take the slot again from `retry_at` (the post did not happen)."""
        async with self._engine.begin() as connection:
            await connection.execute(
                update(digest_slots)
                .where(_slot_key(claim), digest_slots.c.holder == claim.holder)
                .values(state=SlotState.CLAIMED, holder=None, expires_at=retry_at)
            )

    async def _move_on(
        self, connection: AsyncConnection, claim: Claim, values: Mapping[str, object]
    ) -> None:
        """Move the digest forward, unless it moved further meanwhile or was rescheduled."""
        await connection.execute(
            update(digests)
            .where(
                digests.c.id == claim.digest.id,
                digests.c.created_at == claim.digest.created_at,
                digests.c.next_due_at < values["next_due_at"],
            )
            .values(**values)
        )
