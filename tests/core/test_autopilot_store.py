"""The autopilot's storage: webhook secrets sealed, tokens kept as digests, one message per
incident; on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.autopilot.store import (
    AutopilotStore,
    IncidentMessage,
    LastDelivery,
    NewWebhook,
    WebhookOutcome,
)
from bot.crypto import DecryptionError, Keyring, new_key
from bot.storage import autopilot_webhooks

TOKEN = "tok-9Q2tR7vX1yZ4bC6dE8fG0hJ3kL5mN7pQ"
SECRET = "whsec-5f3c9a1b7d2e4f608192a3b4c5d6e7f8"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OLD, NEW = new_key(), new_key()


def store(engine: AsyncEngine, *keys: str) -> AutopilotStore:
    return AutopilotStore(engine, Keyring.from_encoded(list(keys or (NEW,))))


async def turn_on(
    autopilot: AutopilotStore, team_id: str = "T1", token: str = TOKEN, secret: str = SECRET
) -> None:
    await autopilot.save(
        team_id,
        NewWebhook(token, secret, endpoint_id="ep-1"),
        channel_id="C0FALLBACK",
        window=timedelta(hours=24),
        enabled_by="U0ADMIN",
        now=NOW,
    )


async def all_text(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT * FROM autopilot_webhooks"))).all()
    return "\n".join(str(value) for row in rows for value in row)


async def test_a_token_finds_its_workspace_and_secret_and_neither_is_stored_readable(
    engine: AsyncEngine,
) -> None:
    autopilot = store(engine)
    await turn_on(autopilot)

    found = await autopilot.secret_for(TOKEN)

    assert found is not None
    assert (found[0], found[1].get_secret_value()) == ("T1", SECRET)
    assert await autopilot.secret_for(TOKEN + "x") is None
    dump = await all_text(engine)
    assert TOKEN not in dump
    assert SECRET not in dump


async def test_a_secret_moved_to_another_workspace_does_not_open(engine: AsyncEngine) -> None:
    autopilot = store(engine)
    await turn_on(autopilot, "T1")
    await turn_on(autopilot, "T2", token="another-token", secret="another-secret")
    async with engine.begin() as connection:
        sealed = await connection.scalar(
            select(autopilot_webhooks.c.secret).where(autopilot_webhooks.c.team_id == "T1")
        )
        await connection.execute(
            update(autopilot_webhooks)
            .where(autopilot_webhooks.c.team_id == "T2")
            .values(secret=sealed)
        )

    with pytest.raises(DecryptionError):
        await autopilot.secret_for("another-token")


async def test_settings_are_read_changed_and_removed(engine: AsyncEngine) -> None:
    autopilot = store(engine)
    assert await autopilot.change("T1", channel_id="C2", window=timedelta(hours=2)) is False
    await turn_on(autopilot)

    assert await autopilot.change("T1", channel_id="C2", window=timedelta(minutes=90)) is True

    settings = await autopilot.get("T1")
    assert settings is not None
    assert (settings.channel_id, settings.window, settings.endpoint_id) == (
        "C2",
        timedelta(minutes=90),
        "ep-1",
    )
    assert (settings.enabled_by, settings.enabled_at, settings.last_delivery) == (
        "U0ADMIN",
        NOW,
        None,
    )
    removed = await autopilot.remove("T1")
    assert removed is not None
    assert removed.endpoint_id == "ep-1"
    assert await autopilot.get("T1") is None
    assert await autopilot.secret_for(TOKEN) is None
    assert await autopilot.remove("T1") is None


async def test_turning_on_again_replaces_the_token_and_secret(engine: AsyncEngine) -> None:
    autopilot = store(engine)
    await turn_on(autopilot)

    await turn_on(autopilot, token="new-token", secret="new-secret")

    assert await autopilot.secret_for(TOKEN) is None
    found = await autopilot.secret_for("new-token")
    assert found is not None
    assert found[1].get_secret_value() == "new-secret"


async def test_the_last_delivery_is_recorded(engine: AsyncEngine) -> None:
    autopilot = store(engine)
    await turn_on(autopilot)
    delivery = LastDelivery(
        at=NOW,
        incident_id="inc-1",
        incident_title="Payments <!channel> down " + "x" * 400,
        outcome=WebhookOutcome.POSTED,
        detail="",
        channel_id="C0INCIDENT",
    )

    await autopilot.record_delivery("T1", delivery)

    settings = await autopilot.get("T1")
    assert settings is not None
    assert settings.last_delivery == LastDelivery(
        at=NOW,
        incident_id="inc-1",
        incident_title=delivery.incident_title[:300],
        outcome=WebhookOutcome.POSTED,
        detail="",
        channel_id="C0INCIDENT",
    )


async def test_an_incident_has_one_message_that_is_updated(engine: AsyncEngine) -> None:
    autopilot = store(engine)
    first = IncidentMessage("C0INC", "1.000100", ("api", "db"), False, frozenset({"d1"}))
    assert await autopilot.message("T1", "inc-1") is None

    await autopilot.save_message("T1", "inc-1", first, NOW)
    later = IncidentMessage("C0INC", "1.000100", ("api", "db", "cache"), True, frozenset({"d1"}))
    await autopilot.save_message("T1", "inc-1", later, NOW)

    assert await autopilot.message("T1", "inc-1") == later
    assert await autopilot.message("T2", "inc-1") is None


async def test_forgetting_a_workspace_forgets_its_webhook_and_messages(
    engine: AsyncEngine,
) -> None:
    autopilot = store(engine)
    await turn_on(autopilot, "T1")
    await turn_on(autopilot, "T2", token="t2-token")
    message = IncidentMessage("C0INC", "1.1", ("api",), True, frozenset())
    await autopilot.save_message("T1", "inc-1", message, NOW)
    await autopilot.save_message("T2", "inc-1", message, NOW)

    await autopilot.forget_workspace("T1")

    assert (await autopilot.get("T1"), await autopilot.message("T1", "inc-1")) == (None, None)
    assert await autopilot.get("T2") is not None
    assert await autopilot.message("T2", "inc-1") == message


async def test_secrets_are_resealed_under_the_first_key(engine: AsyncEngine) -> None:
    await turn_on(store(engine, OLD))

    assert await store(engine, NEW, OLD).reseal_all() == 1
    assert await store(engine, NEW, OLD).reseal_all() == 0

    found = await store(engine, NEW).secret_for(TOKEN)
    assert found is not None
    assert found[1].get_secret_value() == SECRET
