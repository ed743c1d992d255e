"""`cortex-bot sync`: the same engine from a terminal, with exit codes cron can rely on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.sync import BY_CLI, SyncEngine
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly
from tests.support.services import (
    ENCRYPTION_KEY,
    TEAM,
    connect,
    process,
    rootly_by_cortex_id,
    seed_services,
    sqlite_url,
)


@pytest.fixture
async def database_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
) -> str:
    url = await sqlite_url(tmp_path)
    for variable, value in {
        "DATABASE_URL": url,
        "ENCRYPTION_KEYS": ENCRYPTION_KEY,
        "CORTEX_API_URL": fake_cortex.base_url,
        "ROOTLY_API_URL": fake_rootly.base_url,
    }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return url


async def connected(url: str, cortex: FakeCortex, rootly: FakeRootly, **keys: str | None) -> None:
    async with process(url, cortex, rootly) as services:
        await connect(services, cortex, **keys)  # type: ignore[arg-type]


async def cortex_bot(*arguments: str) -> int:
    """Run the command as cron would, off the event loop that serves the fakes."""
    return await asyncio.to_thread(main, list(arguments))


async def test_a_dry_run_prints_the_plan_writes_nothing_and_exits_0(
    database_file: str,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_services(fake_cortex, 3)
    fake_rootly.add_service("Old name", cortex_id="svc-0001", description="The svc-0001 service")
    await connected(database_file, fake_cortex, fake_rootly)

    code = await cortex_bot("sync", "--workspace", TEAM, "--dry-run")

    out = capsys.readouterr().out
    assert code == 0
    assert f"Dry run of workspace {TEAM}: 2 to create, 1 to update." in out
    assert "To update (1)\n  svc-0001  Svc 0001\n      name: Old name → Svc 0001\n" in out
    assert "To create (2)\n  svc-0000  Svc 0000\n  svc-0002  Svc 0002" in out
    assert fake_rootly.count("POST") == 0


async def test_a_sync_writes_stores_its_result_and_exits_0(
    database_file: str,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tags = seed_services(fake_cortex, 5)
    await connected(database_file, fake_cortex, fake_rootly)

    code = await cortex_bot("sync", "--workspace", TEAM)

    assert code == 0
    assert "5 created" in capsys.readouterr().out
    assert sorted(rootly_by_cortex_id(fake_rootly)) == tags
    async with process(database_file, fake_cortex, fake_rootly) as services:
        last = await SyncEngine(services).runs.latest(TEAM)
    assert last is not None
    assert last.triggered_by == BY_CLI


async def test_failed_writes_exit_1(
    database_file: str,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_services(fake_cortex, 2)
    await connected(database_file, fake_cortex, fake_rootly)
    fake_rootly.add_service("Svc 0001", cortex_id="another-tools-id")  # Rootly refuses the name

    code = await cortex_bot("sync", "--workspace", TEAM)

    assert code == 1
    assert "1 created, 1 failed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("team", "rootly_key", "said"),
    [
        ("T0UNKNOWN", "unused", "workspace T0UNKNOWN is not connected to Cortex"),
        (TEAM, None, f"workspace {TEAM} has no Rootly API key"),
    ],
    ids=["unknown workspace", "Rootly not connected"],
)
async def test_a_sync_that_cannot_run_says_why_in_one_line_and_exits_1(
    database_file: str,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    capsys: pytest.CaptureFixture[str],
    team: str,
    rootly_key: str | None,
    said: str,
) -> None:
    await connected(database_file, fake_cortex, fake_rootly, rootly_key=rootly_key)

    code = await cortex_bot("sync", "--workspace", team)

    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == f"cortex-bot: sync not done: {said}"
    assert "Traceback" not in err
