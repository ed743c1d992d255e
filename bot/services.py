"""The process-wide resources every listener, job and command shares, opened and closed together."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property

import aiohttp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.autopilot.setup import Autopilot
from bot.budget import BudgetLimits, Ledger, LocalLedger
from bot.cache import DEFAULT_STALE_FOR, Clock, ResponseCache, SharedEntries
from bot.catalog import Catalog
from bot.claims import RequestClaims
from bot.config import Settings
from bot.cortex import CortexClient, cortex_api, cortex_budget
from bot.crypto import Keyring
from bot.digests.store import DigestStore
from bot.egress import AddressPolicy, Egress, open_egress, own_addresses
from bot.errors import NotConnectedError
from bot.http import JsonApi, RetryPolicy
from bot.installations import EncryptedInstallationStore
from bot.people import MemberDirectory
from bot.rootly import RootlyClient, rootly_api
from bot.shared import RedisEntries, RedisLedger, SharedRedis
from bot.storage import create_engine
from bot.sync.engine import SyncEngine
from bot.tasks import BackgroundTasks
from bot.workspaces import Connection, WorkspaceStore


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: AsyncEngine
    keyring: Keyring
    workspaces: WorkspaceStore
    installations: EncryptedInstallationStore | None
    # Slack's Web API and response URLs have a pool of their own, so no outside API that hangs
    # can hold up an ack's follow-up, a modal or an answer (the outside APIs' pools: `egress`).
    slack_http: aiohttp.ClientSession
    egress: Egress
    cortex_api: JsonApi
    rootly_api: JsonApi
    cache: ResponseCache
    claims: RequestClaims
    digests: DigestStore
    tasks: BackgroundTasks
    redis: SharedRedis | None = None

    @cached_property
    def autopilot(self) -> Autopilot:
        """The incident autopilot's settings: on, off, and the last delivery of each workspace."""
        return Autopilot(self)

    @cached_property
    def members(self) -> MemberDirectory:
        """Slack member IDs by email, per workspace (on-call people and owners as mentions)."""
        return MemberDirectory()

    @cached_property
    def sync(self) -> SyncEngine:
        """The Cortex → Rootly sync engine; it reaches everything else through these services."""
        return SyncEngine(self)

    def cortex_client(self, cortex_url: str, api_key: str, team_id: str = "") -> CortexClient:
        return CortexClient(self.cortex_api, cortex_url, api_key, team_id)

    def rootly_client(self, api_key: str) -> RootlyClient:
        return RootlyClient(self.rootly_api, self.settings.rootly_base_url, api_key)

    def catalog(self, connection: Connection) -> Catalog:
        """The workspace's Cortex, with its Rootly for on-call when it connected one."""
        key = connection.cortex_key.get_secret_value()
        client = self.cortex_client(connection.cortex_url, key, connection.team_id)
        rootly_key = connection.rootly_key
        rootly = self.rootly_client(rootly_key.get_secret_value()) if rootly_key else None
        return Catalog(client, self.cache, connection.team_id, rootly)

    async def workspace_catalog(self, team_id: str) -> Catalog:
        """The workspace's Cortex, or `NotConnectedError` when no admin has connected it."""
        return self.catalog(await self.connection(team_id))

    async def connection(self, team_id: str) -> Connection:
        """The workspace's connection, or `NotConnectedError` when no admin has connected it."""
        found = await self.workspaces.get(team_id)
        if found is None:
            raise NotConnectedError(team_id)
        return found


DRAIN_SECONDS = 20.0


def _shared_state(
    settings: Settings, redis: SharedRedis | None
) -> tuple[Ledger, SharedEntries | None]:
    """Where the Cortex budget and the cache live: Redis when configured, else this process."""
    period = settings.cortex_rate_period
    if redis is None:
        return LocalLedger(period), None
    return RedisLedger(redis, period), RedisEntries(redis, DEFAULT_STALE_FOR)


@asynccontextmanager
async def open_services(
    settings: Settings,
    keyring: Keyring,
    retry_policy: RetryPolicy | None = None,
    clock: Clock = time.monotonic,
) -> AsyncIterator[Services]:
    engine = create_engine(settings.database_url)
    installations = (
        EncryptedInstallationStore(settings.slack_client_id or "", engine, keyring)
        if settings.uses_oauth
        else None
    )
    tasks = BackgroundTasks()
    redis_url = settings.redis_url
    redis = SharedRedis(redis_url.get_secret_value()) if redis_url else None
    ledger, shared = _shared_state(settings, redis)
    limits = BudgetLimits(settings.cortex_rate_limit, settings.cortex_rate_period)
    policy = AddressPolicy(settings.allow_private_cortex_urls, own_addresses())
    trusted_urls = (settings.cortex_base_url, settings.rootly_base_url)
    try:
        async with (
            aiohttp.ClientSession() as slack_http,
            open_egress(trusted_urls, policy) as egress,
        ):
            try:
                yield Services(
                    settings=settings,
                    engine=engine,
                    keyring=keyring,
                    workspaces=WorkspaceStore(engine, keyring),
                    installations=installations,
                    slack_http=slack_http,
                    egress=egress,
                    cortex_api=cortex_api(
                        egress, retry_policy, budget=cortex_budget(limits, ledger)
                    ),
                    rootly_api=rootly_api(egress, retry_policy),
                    cache=ResponseCache(clock=clock, shared=shared),
                    claims=RequestClaims(engine),
                    digests=DigestStore(engine),
                    tasks=tasks,
                    redis=redis,
                )
            finally:
                # On SIGTERM, work in flight gets a grace period to finish (with the session
                # and the database still open) before what is left is cancelled.
                await tasks.aclose(grace=DRAIN_SECONDS)
    finally:
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
