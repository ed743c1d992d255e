"""Step 2 of a sync, apply: the plan's writes, as few requests as Rootly allows, each failure kept
to the service it belongs to.

First the Rootly teams the owners need (bulk upserts of up to 100 teams), then the services:
those the plan marked `bulk` in bulk upserts of up to 100, the others one request each (POST for a
create, PUT for an update), several requests at a time. Rootly's pacer (`bot.rootly.pacing`)
decides when each request may go, so the number of workers only hides latency.

A bulk upsert is all or nothing. When Rootly refuses a batch and names the records it refused,
those are reported with Rootly's reasons and the rest is sent again; when it does not say which,
the batch is split in two and each half sent again, down to the one service that fails. Every
other service is written. A key that may not use bulk upserts (Rootly answers 404 to
"record-scoped" keys) gets every write one at a time instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.errors import ApiError, InvalidRequestError, NotFoundError
from bot.rootly import RootlyClient
from bot.rootly.client import BULK_LIMIT, SERVICE_NAME
from bot.rootly.models import TeamAttributes
from bot.sync.plan import Action, Change

APPLY_CONCURRENCY = 16

ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class ChangeResult:
    change: Change
    error: str | None = None


OnApplied = Callable[[ChangeResult], None]


def _chunks(items: Sequence[ItemT], size: int = BULK_LIMIT) -> Iterator[list[ItemT]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class _Batches(Generic[ItemT]):
    """Bulk upserts of one kind of item, split until each refused item is found.

    `send` upserts a batch; `send_one` writes one item without bulk upsert (for keys that may not
    use it); `key` is an item's external_id; `done` hears each item's result (None: written).
    """

    def __init__(
        self,
        send: Callable[[list[ItemT]], Awaitable[object]],
        send_one: Callable[[ItemT], Awaitable[object]],
        key: Callable[[ItemT], str],
        done: Callable[[ItemT, str | None], None],
    ) -> None:
        self._send = send
        self._send_one = send_one
        self._key = key
        self._done = done
        self.bulk_refused = False

    async def write(self, batch: list[ItemT]) -> None:
        if self.bulk_refused:
            await self.write_each(batch)
            return
        try:
            await self._send(batch)
        except NotFoundError:
            self.bulk_refused = True
            await self.write_each(batch)
        except InvalidRequestError as error:
            await self._split(batch, error)
        except ApiError as error:
            for item in batch:
                self._done(item, str(error))
        else:
            for item in batch:
                self._done(item, None)

    async def _split(self, batch: list[ItemT], error: InvalidRequestError) -> None:
        named = {self._key(item): item for item in batch if self._key(item) in error.rejected}
        if named:
            for key, item in named.items():
                self._done(
                    item, str(ApiError(SERVICE_NAME, error.rejected[key], status=error.status))
                )
            rest = [item for item in batch if self._key(item) not in named]
        elif len(batch) == 1:
            self._done(batch[0], str(error))
            return
        else:
            half = len(batch) // 2
            await self.write(batch[:half])
            rest = batch[half:]
        if rest:
            await self.write(rest)

    async def write_each(self, items: list[ItemT]) -> None:
        """Without bulk upsert: one request per item."""
        for item in items:
            try:
                await self._send_one(item)
            except ApiError as error:
                self._done(item, str(error))
            else:
                self._done(item, None)


async def _run(jobs: Sequence[Callable[[], Awaitable[None]]], concurrency: int) -> None:
    pending = iter(jobs)

    async def worker() -> None:
        for job in pending:
            await job()

    async with asyncio.TaskGroup() as group:
        for _ in range(min(concurrency, len(jobs))):
            group.create_task(worker())


async def create_teams(
    rootly: RootlyClient, teams: Sequence[TeamAttributes], *, concurrency: int = APPLY_CONCURRENCY
) -> tuple[dict[str, str], list[str]]:
    """Rootly teams for these Cortex owner teams: their ids by tag, and the errors by tag."""
    ids: dict[str, str] = {}
    errors: list[str] = []

    async def upsert(batch: list[TeamAttributes]) -> None:
        tags = {team.external_id: team.cortex_id for team in batch}
        for team in await rootly.bulk_upsert_teams(batch):
            tag = tags.get(team.external_id or "") or team.cortex_id
            if tag:
                ids[tag] = team.id

    async def create(team: TeamAttributes) -> None:
        ids[team.cortex_id] = (await rootly.create_team(team)).id

    def done(team: TeamAttributes, error: str | None) -> None:
        if error is not None:
            errors.append(f"team {team.cortex_id}: {error}")

    batches = _Batches(upsert, create, lambda team: team.external_id, done)
    await _run([_job(batches.write, batch) for batch in _chunks(teams)], concurrency)
    return ids, errors


def _job(
    write: Callable[[list[ItemT]], Awaitable[None]], items: list[ItemT]
) -> Callable[[], Awaitable[None]]:
    return lambda: write(items)


async def apply_changes(
    rootly: RootlyClient,
    changes: Sequence[Change],
    on_applied: OnApplied,
    *,
    team_ids: Mapping[str, str] | None = None,
    concurrency: int = APPLY_CONCURRENCY,
) -> list[ChangeResult]:
    """Write every change; `on_applied` hears of each outcome as it comes (keep it quick)."""
    owners = team_ids or {}
    outcomes: list[ChangeResult] = []

    def done(change: Change, error: str | None) -> None:
        outcome = ChangeResult(change, error)
        outcomes.append(outcome)
        on_applied(outcome)

    async def upsert(batch: list[Change]) -> None:
        await rootly.bulk_upsert_services([change.write(owners) for change in batch])

    async def write_one(change: Change) -> None:
        attributes = change.write(owners)
        if change.action is Action.CREATE:
            await rootly.create_service(attributes)
        else:
            assert change.rootly_id is not None, "updates and adoptions name their Rootly service"
            await rootly.update_service(change.rootly_id, attributes)

    def key(change: Change) -> str:
        return change.attributes.external_id or change.tag

    batches = _Batches(upsert, write_one, key, done)
    jobs = [_job(batches.write, batch) for batch in _chunks([c for c in changes if c.bulk])]
    jobs += [_job(batches.write_each, [change]) for change in changes if not change.bulk]
    await _run(jobs, concurrency)
    return outcomes
