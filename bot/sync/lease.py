"""Leases: a named lock in the database, held by one process until it expires.

One sync per workspace at a time, across every process sharing the database: a process takes the
lease `sync:<team>` before it starts, renews it while it runs and releases it at the end. A process
that crashes stops renewing, so its lease expires and the next sync takes it over.

Taking a lease is two statements, each atomic on SQLite and PostgreSQL alike: an UPDATE that takes
the row over only if it is expired (or already ours), then, if there was no row, an INSERT that the
primary key lets only one process win. On PostgreSQL a concurrent UPDATE waits for the other's
commit and re-checks its WHERE clause; SQLite runs one writer at a time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import LeaseLostError
from bot.scheduler import WallClock, utc_now
from bot.storage import as_utc, leases

log = logging.getLogger(__name__)

T = TypeVar("T")


class LeaseStore:
    def __init__(self, engine: AsyncEngine, clock: WallClock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    async def acquire(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Take the lease if it is free, expired, or already `holder`'s; whether we have it."""
        now = self._clock()
        async with self._engine.begin() as connection:
            taken = await connection.execute(
                update(leases)
                .where(leases.c.name == name)
                .where((leases.c.expires_at <= now) | (leases.c.holder == holder))
                .values(holder=holder, expires_at=now + ttl)
            )
        if taken.rowcount:
            return True
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    insert(leases).values(name=name, holder=holder, expires_at=now + ttl)
                )
        except IntegrityError:
            return False
        return True

    async def renew(self, name: str, holder: str, ttl: timedelta) -> bool:
        """Push the expiry on; False when the lease is no longer `holder`'s."""
        async with self._engine.begin() as connection:
            renewed = await connection.execute(
                update(leases)
                .where(leases.c.name == name, leases.c.holder == holder)
                .values(expires_at=self._clock() + ttl)
            )
        return bool(renewed.rowcount)

    async def release(self, name: str, holder: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(leases).where(leases.c.name == name, leases.c.holder == holder)
            )

    async def is_held(self, name: str) -> bool:
        async with self._engine.connect() as connection:
            expires_at = await connection.scalar(
                select(leases.c.expires_at).where(leases.c.name == name)
            )
        return expires_at is not None and as_utc(expires_at) > self._clock()

    async def take(self, name: str, ttl: timedelta) -> Lease | None:
        """The lease under a new holder identity, or None when another process has it."""
        lease = Lease(self, name, ttl)
        return lease if await self.acquire(name, lease.holder, ttl) else None


@dataclass
class Lease:
    store: LeaseStore
    name: str
    ttl: timedelta
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)

    async def release(self) -> None:
        await self.store.release(self.name, self.holder)

    async def _keep_renewing(self) -> None:
        every = self.ttl.total_seconds() / 3
        while True:
            await asyncio.sleep(every)
            if not await self.store.renew(self.name, self.holder, self.ttl):
                raise LeaseLostError(self.name)

    async def run_while_held(self, work: Awaitable[T]) -> T:
        """Run `work`, renewing the lease meanwhile; stop it if the lease is lost."""
        worker = asyncio.ensure_future(work)
        renewer = asyncio.ensure_future(self._keep_renewing())
        try:
            done, _ = await asyncio.wait({worker, renewer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (worker, renewer):
                task.cancel()
            await asyncio.gather(worker, renewer, return_exceptions=True)
        if worker in done:
            return worker.result()
        log.error("lease %s was lost while its work ran; the work was stopped", self.name)
        raise renewer.exception() or LeaseLostError(self.name)
