"""The real process: `cortex-bot serve` on its port, `migrate`, and `rotate-keys` then a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from alembic import command

from bot.autopilot.store import AutopilotStore, NewWebhook
from bot.crypto import Keyring, new_key
from bot.storage import alembic_config, create_engine
from bot.web import SERVICES
from bot.workspaces import NewKeys, WorkspaceStore
from tests.support.databases import POSTGRES_URL, migrate_in_thread, reset_postgres
from tests.support.processes import cortex_bot_command, health_status
from tests.support.slack_harness import SlackApp

SECRET_ENV = {"SLACK_BOT_TOKEN": "xoxb-test-process", "SLACK_SIGNING_SECRET": "signing-process"}


async def run_cli(*arguments: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *cortex_bot_command(),
        *arguments,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_healthz_checks_the_database(slack_app: SlackApp) -> None:
    healthy = await slack_app.http.get("/healthz")
    await slack_app.http.app[SERVICES].engine.dispose()
    slack_app.database_file.unlink()
    slack_app.database_file.mkdir()  # an SQLite path that cannot be opened

    broken = await slack_app.http.get("/healthz")

    assert healthy.status == 200
    assert await healthy.json() == {"status": "ok", "database": "ok", "schema": "current"}
    assert broken.status == 503
    assert (await broken.json())["database"] == "unreachable"


async def test_healthz_is_503_while_the_database_is_locked(slack_app: SlackApp) -> None:
    locker = sqlite3.connect(slack_app.database_file, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another process holding the file, say a stuck migration
    try:
        locked = await slack_app.http.get("/healthz")
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    unlocked = await slack_app.http.get("/healthz")

    assert locked.status == 503
    assert (await locked.json())["database"] == "unreachable"
    assert unlocked.status == 200


@pytest.mark.parametrize(
    "shared",
    [
        {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "client-secret"},
        {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:9/none"},
    ],
    ids=["OAuth", "PostgreSQL"],
)
async def test_serve_will_not_make_up_a_key_for_many_workspaces(
    tmp_path: Path, shared: dict[str, str]
) -> None:
    code, _, err = await run_cli("serve", env={**SECRET_ENV, **shared}, cwd=tmp_path)

    assert code == 2
    assert "ENCRYPTION_KEYS is required" in err
    assert "Traceback" not in err
    assert not (tmp_path / "cortex-bot.db.key").exists()


async def test_healthz_is_503_while_the_schema_is_behind(slack_app: SlackApp) -> None:
    database_url = slack_app.settings.database_url
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), "-1")

    behind = await slack_app.http.get("/healthz")
    await migrate_in_thread(database_url)
    current = await slack_app.http.get("/healthz")

    assert behind.status == 503
    assert await behind.json() == {"status": "unhealthy", "database": "ok", "schema": "behind"}
    assert current.status == 200


async def test_serve_migrates_and_answers_on_its_port(unused_tcp_port: int, tmp_path: Path) -> None:
    env = {"PORT": str(unused_tcp_port), **SECRET_ENV}
    process = await asyncio.create_subprocess_exec(
        *cortex_bot_command(),
        "serve",
        env={**os.environ, **env},
        cwd=tmp_path,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        status = await health_status(f"http://127.0.0.1:{unused_tcp_port}")
    finally:
        process.send_signal(signal.SIGTERM)
        _, raw_stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    stderr = raw_stderr.decode()

    assert status == 200
    assert process.returncode == 0
    assert (tmp_path / "cortex-bot.db").exists()
    assert (tmp_path / "cortex-bot.db.key").exists()
    for secret in SECRET_ENV.values():
        assert secret not in stderr


@pytest.mark.skipif(POSTGRES_URL is None, reason="TEST_DATABASE_URL is not set")
async def test_serve_on_an_empty_postgresql_database_refuses_until_it_is_migrated(
    unused_tcp_port: int, tmp_path: Path
) -> None:
    assert POSTGRES_URL is not None
    await reset_postgres(POSTGRES_URL)
    base_url = f"http://127.0.0.1:{unused_tcp_port}"
    env = {
        **SECRET_ENV,
        "DATABASE_URL": POSTGRES_URL,
        "ENCRYPTION_KEYS": new_key(),
        "PORT": str(unused_tcp_port),
    }

    refused, _, refusal = await run_cli("serve", env=env, cwd=tmp_path)
    migrated, _, _ = await run_cli("migrate", env=env, cwd=tmp_path)
    process = await asyncio.create_subprocess_exec(
        *cortex_bot_command(), "serve", env={**os.environ, **env}, cwd=tmp_path
    )
    try:
        started = await health_status(base_url)
        await asyncio.to_thread(command.downgrade, alembic_config(POSTGRES_URL), "-1")
        async with aiohttp.ClientSession() as session, session.get(f"{base_url}/healthz") as behind:
            behind_status, behind_body = behind.status, await behind.json()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=30)

    assert refused == 2
    assert refusal.strip().splitlines()[-1] == (
        "cortex-bot: the database schema is behind this version of cortex-bot: "
        "run `cortex-bot migrate` first."
    )
    assert "Traceback" not in refusal
    assert migrated == 0
    assert started == 200
    assert (behind_status, behind_body["schema"]) == (503, "behind")


async def test_serve_refuses_a_database_that_does_not_answer_without_echoing_its_url(
    unused_tcp_port: int, tmp_path: Path
) -> None:
    password = "pg-password-never-shown"
    env = {
        **SECRET_ENV,
        "DATABASE_URL": f"postgresql+asyncpg://bot:{password}@127.0.0.1:{unused_tcp_port}/bot",
        "ENCRYPTION_KEYS": new_key(),
    }

    code, _, err = await run_cli("serve", env=env, cwd=tmp_path)

    assert code == 2
    assert err.strip().splitlines()[-1].startswith("cortex-bot: cannot reach the database (")
    assert password not in err
    assert "Traceback" not in err


async def test_rotate_keys_then_restart_with_only_the_new_key(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    base = {"DATABASE_URL": database_url}
    assert (await run_cli("migrate", env=base, cwd=tmp_path))[0] == 0
    engine = create_engine(database_url)
    await WorkspaceStore(engine, Keyring.from_encoded([old])).save(
        "T1", NewKeys("https://cortex.example", "cortex-key-1234", None), "U1"
    )
    await AutopilotStore(engine, Keyring.from_encoded([old])).save(
        "T1",
        NewWebhook("webhook-token", "webhook-secret", None),
        channel_id="C1",
        window=timedelta(hours=24),
        enabled_by="U1",
        now=datetime.now(UTC),
    )
    await engine.dispose()

    code, out, err = await run_cli(
        "rotate-keys", env={**base, "ENCRYPTION_KEYS": f"{new},{old}"}, cwd=tmp_path
    )

    assert code == 0, err
    assert "re-encrypted 1 API keys, 0 Slack tokens and 1 Rootly webhook secrets" in out
    engine = create_engine(database_url)
    reopened = await WorkspaceStore(engine, Keyring.from_encoded([new])).get("T1")
    webhook = await AutopilotStore(engine, Keyring.from_encoded([new])).secret_for("webhook-token")
    await engine.dispose()
    assert reopened is not None
    assert reopened.cortex_key.get_secret_value() == "cortex-key-1234"
    assert webhook is not None
    assert webhook[1].get_secret_value() == "webhook-secret"


async def test_processes_starting_together_on_one_sqlite_file_take_turns_migrating(
    tmp_path: Path,
) -> None:
    # Without turns, two of three such rounds ended with "table digests already exists".
    for round_ in range(3):
        base = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / f'bot-{round_}.db'}"}
        ran = await asyncio.gather(*(run_cli("migrate", env=base, cwd=tmp_path) for _ in range(4)))

        assert [code for code, _, _ in ran] == [0] * 4, [err for _, _, err in ran]


async def test_keygen_prints_a_usable_key(tmp_path: Path) -> None:
    code, out, _ = await run_cli("keygen", env={}, cwd=tmp_path)

    assert code == 0
    Keyring.from_encoded([out.strip()])


async def test_a_database_that_no_key_opens_stops_rotation_with_one_line(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
    await run_cli("migrate", env={"DATABASE_URL": database_url}, cwd=tmp_path)
    engine = create_engine(database_url)
    await WorkspaceStore(engine, Keyring.from_encoded([new_key()])).save(
        "T1", NewKeys("https://cortex.example", "cortex-key-1234", None), "U1"
    )
    await engine.dispose()

    code, _, err = await run_cli(
        "rotate-keys",
        env={"DATABASE_URL": database_url, "ENCRYPTION_KEYS": new_key()},
        cwd=tmp_path,
    )

    assert code == 2
    assert "not in ENCRYPTION_KEYS" in err
    assert "Traceback" not in err
