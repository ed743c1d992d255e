"""Helpers of the sync tests: the process's services pointed at the fakes, a connected workspace,
and the fixtures `sync_database` (SQLite; a module overrides it to run on other databases),
`services` (a process on it with the workspace connected) and `sync` (its sync engine)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.config import Settings
from bot.crypto import Keyring, new_key
from bot.http import RetryPolicy
from bot.services import Services, open_services
from bot.sync import SyncEngine
from bot.workspaces import NewKeys
from tests.support.apis import FAST_RETRIES
from tests.support.databases import migrate_in_thread
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly
from tests.support.slack_harness import eventually

TEAM = "T0SYNC"
ADMIN = "U0ADMIN"
ENCRYPTION_KEY = new_key()
KEYRING = Keyring.from_encoded([ENCRYPTION_KEY])


async def sqlite_url(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'sync.db'}"
    await migrate_in_thread(url)
    return url


def settings_for(database_url: str, cortex: FakeCortex, rootly: FakeRootly) -> Settings:
    return Settings(
        _env_file=None,
        cortex_api_url=cortex.base_url,
        rootly_api_url=rootly.base_url,
        database_url=database_url,
    )


@asynccontextmanager
async def process(
    database_url: str,
    cortex: FakeCortex,
    rootly: FakeRootly,
    retry_policy: RetryPolicy = FAST_RETRIES,
) -> AsyncIterator[Services]:
    """What one bot process shares: its own HTTP session, transports and database engine."""
    settings = settings_for(database_url, cortex, rootly)
    async with open_services(settings, KEYRING, retry_policy) as services:
        yield services


async def connect(
    services: Services, cortex: FakeCortex, team_id: str = TEAM, rootly_key: str | None = ROOTLY_KEY
) -> None:
    await services.workspaces.save(
        team_id, NewKeys(cortex.base_url, CORTEX_KEY, rootly_key), connected_by=ADMIN
    )


@pytest.fixture
async def sync_database(tmp_path: Path) -> str:
    return await sqlite_url(tmp_path)


@pytest.fixture
async def services(
    sync_database: str, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> AsyncIterator[Services]:
    async with process(sync_database, fake_cortex, fake_rootly) as services:
        await connect(services, fake_cortex)
        yield services


@pytest.fixture
def sync(services: Services) -> SyncEngine:
    return services.sync


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (a few seconds at most) until background work makes `condition` true."""

    async def check() -> bool:
        return condition()

    await eventually(check, bool, what)


def seed_services(cortex: FakeCortex, count: int, prefix: str = "svc") -> list[str]:
    tags = [f"{prefix}-{number:04d}" for number in range(count)]
    for tag in tags:
        cortex.add_service(tag, description=f"The {tag} service")
    return tags


def services_written(rootly: FakeRootly) -> int:
    """How many service writes Rootly received, in bulk upserts or one request each."""
    in_bulk = sum(len(request.body["entities"]) for request in rootly.bulk_requests())
    one_by_one = [
        request
        for request in rootly.received
        if (request.method, request.path) == ("POST", "/v1/services")
        or (request.method == "PUT" and request.path.startswith("/v1/services/"))
    ]
    return in_bulk + len(one_by_one)


def rootly_by_cortex_id(rootly: FakeRootly) -> dict[str, list[dict[str, object]]]:
    """Rootly's services grouped by cortex_id: a duplicate shows as a list of two."""
    found: dict[str, list[dict[str, object]]] = {}
    for attributes in rootly.services.values():
        if attributes.get("cortex_id"):
            found.setdefault(str(attributes["cortex_id"]), []).append(attributes)
    return found
