"""Storage and encryption at rest, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import ConfigError, Settings
from bot.crypto import DecryptionError, Keyring, load_keyring, new_key
from bot.errors import KeyNotEnteredForUrlError
from bot.installations import EncryptedInstallationStore
from bot.storage import workspaces
from bot.workspaces import NewKeys, WorkspaceStore

CORTEX_KEY = "cortex-secret-key-abcd"
ROOTLY_KEY = "rootly-secret-key-wxyz"
BOT_TOKEN = "xoxb-1111-2222-bot-token-secret"
OLD, NEW = new_key(), new_key()


def keyring(*keys: str) -> Keyring:
    return Keyring.from_encoded(list(keys))


def installation(team_id: str, token: str = BOT_TOKEN) -> Installation:
    return Installation(
        app_id="A0CORTEX",
        enterprise_id=None,
        team_id=team_id,
        team_name="Alpha",
        bot_token=token,
        bot_refresh_token="xoxe-1-refresh-secret",
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="commands,chat:write",
        user_id="U0ADMIN",
        installed_at=datetime.now(UTC).timestamp(),
    )


async def all_text(engine: AsyncEngine) -> str:
    """Every value of every table, as text: what an attacker with the database would read."""
    dump = []
    async with engine.connect() as connection:
        for table in ("workspaces", "slack_installations", "slack_bots"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            dump += [str(value) for row in rows for value in row]
    return "\n".join(dump)


async def test_keys_round_trip_and_are_sealed_at_rest(engine: AsyncEngine) -> None:
    store = WorkspaceStore(engine, keyring(NEW))

    saved = await store.save("T1", NewKeys("https://cortex.example", CORTEX_KEY, ROOTLY_KEY), "U1")

    assert saved.cortex_key.get_secret_value() == CORTEX_KEY
    assert saved.rootly_key is not None
    assert saved.rootly_key.get_secret_value() == ROOTLY_KEY
    assert (saved.cortex_key_last4, saved.rootly_key_last4) == ("abcd", "wxyz")
    dump = await all_text(engine)
    assert CORTEX_KEY not in dump
    assert ROOTLY_KEY not in dump
    assert "enc:v1:" in dump


async def test_an_empty_key_keeps_the_stored_one(engine: AsyncEngine) -> None:
    store = WorkspaceStore(engine, keyring(NEW))
    await store.save("T1", NewKeys("https://a.example", CORTEX_KEY, ROOTLY_KEY), "U1")

    saved = await store.save("T1", NewKeys("https://a.example", None, None), "U2")

    assert saved.cortex_url == "https://a.example"
    assert saved.cortex_key.get_secret_value() == CORTEX_KEY
    assert saved.rootly_key is not None
    assert saved.connected_by == "U2"


async def test_a_stored_key_never_moves_to_another_url(engine: AsyncEngine) -> None:
    store = WorkspaceStore(engine, keyring(NEW))
    await store.save("T1", NewKeys("https://a.example", CORTEX_KEY, None), "U1")

    with pytest.raises(KeyNotEnteredForUrlError):
        await store.save("T1", NewKeys("https://b.example", None, None), "U2")
    unchanged = await store.get("T1")
    moved = await store.save("T1", NewKeys("https://b.example", "new-key-for-b", None), "U2")

    assert unchanged is not None
    assert (unchanged.cortex_url, unchanged.connected_by) == ("https://a.example", "U1")
    assert (moved.cortex_url, moved.cortex_key.get_secret_value()) == (
        "https://b.example",
        "new-key-for-b",
    )


async def test_forget_deletes_the_row(engine: AsyncEngine) -> None:
    store = WorkspaceStore(engine, keyring(NEW))
    await store.save("T1", NewKeys("https://a.example", CORTEX_KEY, None), "U1")

    assert await store.forget("T1") is True
    assert await store.get("T1") is None
    assert await store.forget("T1") is False


async def test_a_key_copied_to_another_workspace_does_not_open(engine: AsyncEngine) -> None:
    store = WorkspaceStore(engine, keyring(NEW))
    await store.save("T1", NewKeys("https://a.example", CORTEX_KEY, None), "U1")
    await store.save("T2", NewKeys("https://a.example", "another-key-0000", None), "U2")
    async with engine.begin() as connection:
        stolen = (
            await connection.execute(
                select(workspaces.c.cortex_key).where(workspaces.c.team_id == "T1")
            )
        ).scalar_one()
        await connection.execute(
            update(workspaces).where(workspaces.c.team_id == "T2").values(cortex_key=stolen)
        )

    with pytest.raises(DecryptionError, match="does not belong to this row"):
        await store.get("T2")


async def test_a_row_sealed_with_an_unknown_key_fails_loudly(engine: AsyncEngine) -> None:
    await WorkspaceStore(engine, keyring(OLD)).save(
        "T1", NewKeys("https://a.example", CORTEX_KEY, None), "U1"
    )

    with pytest.raises(DecryptionError, match="not in ENCRYPTION_KEYS"):
        await WorkspaceStore(engine, keyring(NEW)).get("T1")


async def test_rotation_reseals_everything_under_the_first_key(engine: AsyncEngine) -> None:
    await WorkspaceStore(engine, keyring(OLD)).save(
        "T1", NewKeys("https://a.example", CORTEX_KEY, ROOTLY_KEY), "U1"
    )
    await EncryptedInstallationStore("1.2", engine, keyring(OLD)).async_save(installation("T1"))

    both = keyring(NEW, OLD)
    rewritten_keys = await WorkspaceStore(engine, both).reseal_all()
    rewritten_tokens = await EncryptedInstallationStore("1.2", engine, both).reseal_all()

    assert rewritten_keys == 2
    assert rewritten_tokens == 4  # bot and refresh token, in both Slack tables
    only_new = keyring(NEW)
    found = await WorkspaceStore(engine, only_new).get("T1")
    assert found is not None
    assert found.cortex_key.get_secret_value() == CORTEX_KEY
    bot = await EncryptedInstallationStore("1.2", engine, only_new).async_find_bot(
        enterprise_id=None, team_id="T1"
    )
    assert bot is not None
    assert bot.bot_token == BOT_TOKEN
    assert await WorkspaceStore(engine, both).reseal_all() == 0


async def test_slack_tokens_are_sealed_and_found_again(engine: AsyncEngine) -> None:
    store = EncryptedInstallationStore("1.2", engine, keyring(NEW))

    await store.async_save(installation("T1"))
    found = await store.async_find_installation(enterprise_id=None, team_id="T1")
    bot = await store.async_find_bot(enterprise_id=None, team_id="T1")

    assert found is not None
    assert found.bot_token == BOT_TOKEN
    assert found.bot_refresh_token == "xoxe-1-refresh-secret"
    assert bot is not None
    assert bot.bot_token == BOT_TOKEN
    dump = await all_text(engine)
    assert BOT_TOKEN not in dump
    assert "xoxe-1-refresh-secret" not in dump


async def test_installations_of_two_workspaces_stay_apart(engine: AsyncEngine) -> None:
    store = EncryptedInstallationStore("1.2", engine, keyring(NEW))
    await store.async_save(installation("T1", "xoxb-first-workspace"))
    await store.async_save(installation("T2", "xoxb-second-workspace"))

    await store.async_delete_all(enterprise_id=None, team_id="T1")

    assert await store.async_find_bot(enterprise_id=None, team_id="T1") is None
    second = await store.async_find_bot(enterprise_id=None, team_id="T2")
    assert second is not None
    assert second.bot_token == "xoxb-second-workspace"


def test_the_embedded_default_generates_a_private_key_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db")

    first = load_keyring(settings)
    again = load_keyring(settings)

    key_file = tmp_path / "bot.db.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "ENCRYPTION_KEYS is not set" in caplog.text
    assert again.open(first.seal("secret", "ctx"), "ctx") == "secret"


def test_an_oauth_install_requires_configured_keys(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        slack_client_id="1111.2222",
        slack_client_secret="client-secret",
    )

    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS is required with SLACK_CLIENT_ID"):
        load_keyring(settings)
    assert not (tmp_path / "bot.db.key").exists()


def test_a_shared_database_requires_configured_keys() -> None:
    settings = Settings(_env_file=None, database_url="postgresql+asyncpg://db/bot")

    with pytest.raises(ConfigError, match="ENCRYPTION_KEYS is required"):
        load_keyring(settings)
