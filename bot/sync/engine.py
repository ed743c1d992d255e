"""The Cortex → Rootly sync of one workspace: plan → apply → report, under the workspace's lease.

    engine = SyncEngine(services)
    report = await engine.run(team_id, triggered_by=user_id, on_progress=show)

or, to answer "already running" before announcing anything, in two steps:

    job = await engine.begin(team_id, triggered_by=user_id)  # holds the lease from here
    report = await job.run(on_progress=show)                  # releases it at the end

Every finished or failed sync is stored. Nothing here knows about Slack: the Slack channels a
workspace has (to give Rootly channel ids for Cortex's channel names) come from the
`ChannelDirectory` the wiring passes in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cortex import CortexClient
from bot.cortex.models import Entity
from bot.errors import (
    BotError,
    CallError,
    ChannelsUnavailableError,
    EmptyCatalogError,
    RootlyNotConnectedError,
    SyncInProgressError,
)
from bot.lanes import background
from bot.observability import SYNC_RUNS
from bot.rootly import RootlyClient
from bot.rootly.models import RootlyService, RootlyTeam
from bot.scheduler import WallClock, utc_now
from bot.sync.apply import APPLY_CONCURRENCY, ChangeResult, apply_changes, create_teams
from bot.sync.fields import FieldChoice, FieldChoices, SyncField
from bot.sync.lease import Lease, LeaseStore
from bot.sync.plan import Sources, SyncPlan, channel_key, paging_ids, plan_sync
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

log = logging.getLogger(__name__)

# A crashed process blocks its workspace's syncs for at most this long.
LEASE_TTL = timedelta(seconds=60)
# How many on-call registrations are read from Cortex at once (its pacer sets the rate).
REGISTRATION_CONCURRENCY = 8

OnProgress = Callable[[SyncProgress], None]
# A workspace's Slack channels, name → id, for a team id; raises `ChannelsUnavailableError`.
ChannelDirectory = Callable[[str], Awaitable[Mapping[str, str]]]


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
    fields: FieldChoice | None = None


class SyncEngine:
    def __init__(
        self,
        services: Services,
        *,
        clock: WallClock = utc_now,
        lease_ttl: timedelta = LEASE_TTL,
        concurrency: int = APPLY_CONCURRENCY,
        channels: ChannelDirectory | None = None,
    ) -> None:
        self.services = services
        self.clock = clock
        self.concurrency = concurrency
        self.channels = channels
        self._lease_ttl = lease_ttl
        self.leases = LeaseStore(services.engine, clock)
        self.runs = SyncRuns(services.engine)
        self.schedules = SyncSchedules(services.engine, clock)
        self.fields = FieldChoices(services.engine, clock)

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

    async def set_fields(
        self, team_id: str, fields: Iterable[SyncField], set_by: str
    ) -> FieldChoice:
        """Let the sync own these fields (and no other switchable one) from its next run."""
        return await self.fields.set(team_id, fields, set_by)

    async def status(self, team_id: str) -> SyncStatus:
        return SyncStatus(
            last=await self.runs.latest(team_id),
            schedule=await self.schedules.get(team_id),
            running=await self.leases.is_held(lease_name(team_id)),
            fields=await self.fields.get(team_id),
        )

    async def forget(self, team_id: str) -> None:
        """Drop the workspace's sync settings (it uninstalled the app); results stay for digests."""
        await self.schedules.forget(team_id)
        await self.fields.forget(team_id)

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
        progress = _Progress(on_progress, self._engine.clock)
        # The one place a sync becomes background work: nobody waits on each of its calls, so
        # cards go first, it waits for Cortex's and Rootly's limits as long as they ask, and the
        # progress says when it waits.
        with background(on_wait=progress.waiting):
            rootly = self._rootly()
            found = await self._read(rootly)
            plan = plan_sync(found.entities, found.services, found.sources)
            problems = list(found.problems)
            outcomes = None
            if not self.info.dry_run:
                outcomes = await self._apply(rootly, plan, progress, problems)
        return build_report(self.info, plan, outcomes, self._engine.clock(), problems)

    def _rootly(self) -> RootlyClient:
        key = self._connection.rootly_key
        assert key is not None, "begin() checked that Rootly is connected"
        return self._engine.services.rootly_client(key.get_secret_value())

    def _cortex(self) -> CortexClient:
        connection = self._connection
        return self._engine.services.cortex_client(
            connection.cortex_url, connection.cortex_key.get_secret_value()
        )

    async def _read(self, rootly: RootlyClient) -> _Found:
        """Both catalogs, and what the fields switched on need besides."""
        fields = await self._engine.fields.enabled(self.info.team_id)
        cortex = self._cortex()
        # The listings at once; Rootly's are dropped when Cortex's fails or comes back empty.
        services_listing = asyncio.ensure_future(rootly.list_services())
        teams_listing = asyncio.ensure_future(
            rootly.list_teams() if SyncField.OWNERS in fields else _no_teams()
        )
        try:
            entities = await cortex.list_entities(types=("service",), include_archived=True)
            # Never read "Cortex listed nothing" as "no services": that is how outages look.
            if not entities:
                raise EmptyCatalogError()
            services = await services_listing
            teams = await teams_listing
        finally:
            for listing in (services_listing, teams_listing):
                listing.cancel()
            await asyncio.gather(services_listing, teams_listing, return_exceptions=True)
        found = _Found(entities, services, Sources(fields=fields, teams=teams))
        live = [entity for entity in entities if not entity.is_archived]
        if SyncField.PAGING in fields:
            await self._read_paging(cortex, live, found)
        if SyncField.SLACK_CHANNELS in fields:
            await self._read_channels(found)
        return found

    async def _read_paging(
        self, cortex: CortexClient, live: Sequence[Entity], found: _Found
    ) -> None:
        gate = asyncio.Semaphore(REGISTRATION_CONCURRENCY)
        paging: dict[str, dict[str, str | None]] = {}

        async def read(tag: str) -> None:
            async with gate:
                try:
                    paging[tag] = paging_ids(await cortex.get_oncall_registrations(tag))
                except CallError as error:
                    # Its paging fields are left as Rootly has them, and the report says why.
                    found.problems.append(f"{tag}: paging ids not read ({error})")

        await asyncio.gather(*(read(entity.tag) for entity in live))
        found.sources = replace(found.sources, paging=paging)

    async def _read_channels(self, found: _Found) -> None:
        directory = self._engine.channels
        try:
            if directory is None:
                raise ChannelsUnavailableError("this process has no Slack connection")
            channels = await directory(self.info.team_id)
        except ChannelsUnavailableError as error:
            log.warning("sync of %s: %s", self.info.team_id, error)
            found.problems.append(f"{error}; Slack channels were left as Rootly has them")
            return
        keyed = {channel_key(name): channel_id for name, channel_id in channels.items()}
        found.sources = replace(found.sources, channels=keyed)

    async def _apply(
        self, rootly: RootlyClient, plan: SyncPlan, progress: _Progress, problems: list[str]
    ) -> list[ChangeResult]:
        concurrency = self._engine.concurrency
        team_ids = dict(plan.team_ids)
        if plan.new_teams:
            created, failed = await create_teams(rootly, plan.new_teams, concurrency=concurrency)
            team_ids |= created
            problems += failed
        progress.applying(len(plan.changes))
        return await apply_changes(
            rootly, plan.changes, progress.applied, team_ids=team_ids, concurrency=concurrency
        )


async def _no_teams() -> list[RootlyTeam]:
    return []


@dataclass
class _Found:
    entities: list[Entity]
    services: list[RootlyService]
    sources: Sources
    problems: list[str] = field(default_factory=list)


class _Progress:
    """The sync's progress as it moves on: stage, services done, and any wait for a rate limit."""

    def __init__(self, on_progress: OnProgress, clock: WallClock) -> None:
        self._on_progress = on_progress
        self._clock = clock
        self._waits = 0  # waits under way (several workers can wait for the same reset)
        self._show(SyncProgress("listing"))

    def applying(self, total: int) -> None:
        self._show(replace(self._state, stage="applying", total=total))

    def applied(self, outcome: ChangeResult) -> None:
        state = self._state
        failed = state.failed + (outcome.error is not None)
        self._show(replace(state, done=state.done + 1, failed=failed))

    def waiting(self, service: str, seconds: float) -> None:
        """A `bot.http.WaitListener`: a wait for `service`'s rate limit starts, or one ends."""
        if seconds > 0:
            self._waits += 1
            until = self._clock() + timedelta(seconds=seconds)
            latest = self._state.waiting_until
            until = max(until, latest) if latest else until
            self._show(replace(self._state, waiting_for=service, waiting_until=until))
        else:
            self._waits = max(0, self._waits - 1)
            if not self._waits:
                self._show(replace(self._state, waiting_for=None, waiting_until=None))

    def _show(self, state: SyncProgress) -> None:
        self._state = state
        self._on_progress(state)
