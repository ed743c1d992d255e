"""The Cortex → Rootly sync of one workspace: plan → apply → report, under the workspace's lease.

    engine = SyncEngine(services)
    report = await engine.run(team_id, triggered_by=user_id, on_progress=show)

or, to answer "already running" before announcing anything, in two steps:

    job = await engine.begin(team_id, triggered_by=user_id)  # holds the lease from here
    report = await job.run(on_progress=show)                  # releases it at the end

Every finished or failed sync is stored. Nothing here knows about Slack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.errors import BotError, EmptyCatalogError, RootlyNotConnectedError, SyncInProgressError
from bot.lanes import background
from bot.observability import SYNC_RUNS
from bot.rootly import RootlyClient
from bot.scheduler import WallClock, utc_now
from bot.sync.apply import APPLY_CONCURRENCY, ChangeResult, apply_changes
from bot.sync.lease import Lease, LeaseStore
from bot.sync.plan import SyncPlan, plan_sync
from bot.sync.report import (
    RunInfo,
    Status,
    SyncProgress,
    SyncReport,
    build_report,
    failed_report,
    interrupted_report,
)
from bot.sync.runs import SyncRuns
from bot.sync.schedule import AutoSyncJob, SyncFrequency, SyncSchedule, SyncSchedules
from bot.workspaces import Connection

if TYPE_CHECKING:
    # Services holds the sync engine and digest store: a runtime import would be a cycle.
    from bot.services import Services

# A crashed process blocks its workspace's syncs for at most this long.
LEASE_TTL = timedelta(seconds=60)

OnProgress = Callable[[SyncProgress], None]


def _ignore(_progress: SyncProgress) -> None:
    return None


def lease_name(team_id: str) -> str:
    return f"sync:{team_id}"


@dataclass(frozen=True)
class SyncStatus:
    """What `/cortex sync status` and App Home show."""

    last: SyncReport | None
    schedule: SyncSchedule | None
    running: bool


class SyncEngine:
    def __init__(
        self,
        services: Services,
        *,
        clock: WallClock = utc_now,
        lease_ttl: timedelta = LEASE_TTL,
        concurrency: int = APPLY_CONCURRENCY,
    ) -> None:
        self.services = services
        self.clock = clock
        self.concurrency = concurrency
        self._lease_ttl = lease_ttl
        self.leases = LeaseStore(services.engine, clock)
        self.runs = SyncRuns(services.engine)
        self.schedules = SyncSchedules(services.engine, clock)

    async def begin(self, team_id: str, *, triggered_by: str, dry_run: bool = False) -> SyncJob:
        """Take the workspace's lease for a sync, or raise why it cannot run now."""
        connection = await self._rootly_connection(team_id)
        lease = await self.leases.take(lease_name(team_id), self._lease_ttl)
        if lease is None:
            raise SyncInProgressError(team_id)
        run = RunInfo(
            team_id=team_id, triggered_by=triggered_by, dry_run=dry_run, started_at=self.clock()
        )
        return SyncJob(self, connection, lease, run)

    async def run(
        self,
        team_id: str,
        *,
        triggered_by: str,
        dry_run: bool = False,
        on_progress: OnProgress = _ignore,
    ) -> SyncReport:
        job = await self.begin(team_id, triggered_by=triggered_by, dry_run=dry_run)
        return await job.run(on_progress)

    async def set_schedule(
        self, team_id: str, frequency: SyncFrequency | None, set_by: str
    ) -> SyncSchedule | None:
        """Turn automatic syncs on (Rootly must be connected) or, with None, off."""
        if frequency is not None:
            await self._rootly_connection(team_id)
        await self.schedules.set(team_id, frequency, set_by)
        return await self.schedules.get(team_id)

    async def status(self, team_id: str) -> SyncStatus:
        return SyncStatus(
            last=await self.runs.latest(team_id),
            schedule=await self.schedules.get(team_id),
            running=await self.leases.is_held(lease_name(team_id)),
        )

    def auto_sync_job(self) -> AutoSyncJob:
        """The scheduler's job that runs this engine's due automatic syncs."""

        async def run_scheduled(team_id: str, triggered_by: str) -> SyncReport:
            return await self.run(team_id, triggered_by=triggered_by)

        return AutoSyncJob(self.schedules, run_scheduled)

    async def _rootly_connection(self, team_id: str) -> Connection:
        connection = await self.services.connection(team_id)
        if connection.rootly_key is None:
            raise RootlyNotConnectedError(team_id)
        return connection


class SyncJob:
    """One sync holding its workspace's lease: `run` it once, or `abandon` it."""

    def __init__(
        self, engine: SyncEngine, connection: Connection, lease: Lease, run: RunInfo
    ) -> None:
        self._engine = engine
        self._connection = connection
        self._lease = lease
        self.info = run

    async def abandon(self) -> None:
        await self._lease.release()

    async def run(self, on_progress: OnProgress = _ignore) -> SyncReport:
        """Plan, apply (unless a dry run) and report; the result is stored either way."""
        try:
            with background():  # nobody waits on each of its reads: cards go first
                report = await self._lease.run_while_held(self._sync(on_progress))
        except BotError as error:
            await self._engine.runs.save(failed_report(self.info, error, self._engine.clock()))
            SYNC_RUNS.labels(Status.FAILED).inc()
            raise
        except asyncio.CancelledError:
            # A shutdown: say so in the history (the lease is released below, so a sync can
            # start again at once instead of waiting for the lease to expire).
            await self._engine.runs.save(interrupted_report(self.info, self._engine.clock()))
            SYNC_RUNS.labels(Status.INTERRUPTED).inc()
            raise
        finally:
            await self._lease.release()
        await self._engine.runs.save(report)
        SYNC_RUNS.labels(report.status).inc()
        return report

    async def _sync(self, on_progress: OnProgress) -> SyncReport:
        on_progress(SyncProgress("listing"))
        rootly = self._rootly()
        plan = await self._plan(rootly)
        outcomes = None if self.info.dry_run else await self._apply(rootly, plan, on_progress)
        return build_report(self.info, plan, outcomes, self._engine.clock())

    def _rootly(self) -> RootlyClient:
        key = self._connection.rootly_key
        assert key is not None, "begin() checked that Rootly is connected"
        return self._engine.services.rootly_client(key.get_secret_value())

    async def _plan(self, rootly: RootlyClient) -> SyncPlan:
        connection = self._connection
        cortex = self._engine.services.cortex_client(
            connection.cortex_url, connection.cortex_key.get_secret_value()
        )
        # Both listings at once; Rootly's is dropped when Cortex's fails or comes back empty.
        rootly_listing = asyncio.ensure_future(rootly.list_services())
        try:
            entities = await cortex.list_entities(types=("service",), include_archived=True)
            # Never read "Cortex listed nothing" as "no services": that is how outages look.
            if not entities:
                raise EmptyCatalogError()
            services = await rootly_listing
        finally:
            rootly_listing.cancel()
            await asyncio.gather(rootly_listing, return_exceptions=True)
        return plan_sync(entities, services)

    async def _apply(
        self, rootly: RootlyClient, plan: SyncPlan, on_progress: OnProgress
    ) -> list[ChangeResult]:
        tally = _Tally(len(plan.changes), on_progress)
        on_progress(SyncProgress("applying", total=tally.total))
        return await apply_changes(
            rootly, plan.changes, tally.add, concurrency=self._engine.concurrency
        )


class _Tally:
    def __init__(self, total: int, on_progress: OnProgress) -> None:
        self.total = total
        self._on_progress = on_progress
        self._done = 0
        self._failed = 0

    def add(self, outcome: ChangeResult) -> None:
        self._done += 1
        self._failed += outcome.error is not None
        self._on_progress(SyncProgress("applying", self._done, self.total, self._failed))
