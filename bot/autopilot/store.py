"""What the incident autopilot keeps: each workspace's webhook and each incident's one message.

The token in a webhook's URL is kept only as its SHA-256 digest (enough to recognise it, useless
to anyone reading the database); the signing secret is sealed like the API keys, bound to its
workspace.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import SecretStr
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.expression import ColumnElement

from bot.crypto import Keyring
from bot.storage import as_utc, autopilot_incidents, autopilot_webhooks

SECRET = "rootly_webhook_secret"
TITLE_LIMIT = 300
DETAIL_LIMIT = 300


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class WebhookOutcome(StrEnum):
    """What came of a delivery: the metric's label, and what status shows."""

    POSTED = "posted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    NO_SERVICES = "no services"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True)
class LastDelivery:
    """The last delivery a workspace received: when, which incident, and what came of it."""

    at: datetime
    incident_id: str
    incident_title: str
    outcome: WebhookOutcome
    detail: str  # why nothing was posted, or what the message could not show
    channel_id: str | None  # where the message was posted or updated


@dataclass(frozen=True)
class AutopilotSettings:
    team_id: str
    channel_id: str  # where to post when the incident's own channel is missing or closed
    window: timedelta  # how far before an incident's start its changes are shown
    endpoint_id: str | None  # None: the admin entered the webhook in Rootly by hand
    enabled_by: str
    enabled_at: datetime
    last_delivery: LastDelivery | None


@dataclass(frozen=True)
class NewWebhook:
    token: str
    secret: str
    endpoint_id: str | None


@dataclass(frozen=True)
class IncidentMessage:
    """An incident's Cortex context message, and what it showed."""

    channel_id: str
    ts: str
    services: tuple[str, ...]  # the Cortex tags or ids it shows, in order
    complete: bool  # every part was read; an incomplete message is refreshed on the next delivery
    timeline: frozenset[str]  # the changes already added to the incident's Rootly timeline


class AutopilotStore:
    def __init__(self, engine: AsyncEngine, keyring: Keyring) -> None:
        self._engine = engine
        self._keyring = keyring

    async def save(
        self,
        team_id: str,
        webhook: NewWebhook,
        *,
        channel_id: str,
        window: timedelta,
        enabled_by: str,
        now: datetime,
    ) -> None:
        """Turn the autopilot on with this webhook, replacing any earlier one."""
        values = {
            "team_id": team_id,
            "token_digest": token_digest(webhook.token),
            "secret": self._keyring.seal(webhook.secret, f"{SECRET}:{team_id}"),
            "endpoint_id": webhook.endpoint_id,
            "channel_id": channel_id,
            "window_minutes": _minutes(window),
            "enabled_by": enabled_by,
            "enabled_at": now,
        }
        async with self._engine.begin() as connection:
            await connection.execute(delete(autopilot_webhooks).where(_webhook_of(team_id)))
            await connection.execute(insert(autopilot_webhooks).values(**values))

    async def change(self, team_id: str, *, channel_id: str, window: timedelta) -> bool:
        """New fallback channel and window for a webhook already on; whether there was one."""
        async with self._engine.begin() as connection:
            changed = await connection.execute(
                update(autopilot_webhooks)
                .where(_webhook_of(team_id))
                .values(channel_id=channel_id, window_minutes=_minutes(window))
            )
        return bool(changed.rowcount)

    async def get(self, team_id: str) -> AutopilotSettings | None:
        async with self._engine.connect() as connection:
            return await _settings_of(connection, team_id)

    async def secret_for(self, token: str) -> tuple[str, SecretStr] | None:
        """The workspace a webhook token belongs to, and the secret its deliveries are signed
        with; None for a token no workspace has."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(autopilot_webhooks.c.team_id, autopilot_webhooks.c.secret).where(
                        autopilot_webhooks.c.token_digest == token_digest(token)
                    )
                )
            ).first()
        if row is None:
            return None
        team_id, sealed = row
        return team_id, SecretStr(self._keyring.open(sealed, f"{SECRET}:{team_id}"))

    async def remove(self, team_id: str) -> AutopilotSettings | None:
        """Turn the autopilot off, forgetting the secret; what it was, if it was on."""
        async with self._engine.begin() as connection:
            settings = await _settings_of(connection, team_id)
            await connection.execute(delete(autopilot_webhooks).where(_webhook_of(team_id)))
        return settings

    async def record_delivery(self, team_id: str, delivery: LastDelivery) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(autopilot_webhooks)
                .where(_webhook_of(team_id))
                .values(
                    last_delivery_at=delivery.at,
                    last_incident_id=delivery.incident_id,
                    last_incident_title=delivery.incident_title[:TITLE_LIMIT],
                    last_outcome=delivery.outcome,
                    last_detail=delivery.detail[:DETAIL_LIMIT],
                    last_channel_id=delivery.channel_id,
                )
            )

    async def message(self, team_id: str, incident_id: str) -> IncidentMessage | None:
        async with self._engine.connect() as connection:
            row = (
                (
                    await connection.execute(
                        select(autopilot_incidents).where(
                            autopilot_incidents.c.team_id == team_id,
                            autopilot_incidents.c.incident_id == incident_id,
                        )
                    )
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        return IncidentMessage(
            channel_id=row["channel_id"],
            ts=row["message_ts"],
            services=tuple(json.loads(row["services"])),
            complete=row["complete"],
            timeline=frozenset(json.loads(row["timeline"])),
        )

    async def save_message(
        self, team_id: str, incident_id: str, message: IncidentMessage, now: datetime
    ) -> None:
        values = {
            "channel_id": message.channel_id,
            "message_ts": message.ts,
            "services": json.dumps(list(message.services)),
            "complete": message.complete,
            "timeline": json.dumps(sorted(message.timeline)),
            "updated_at": now,
        }
        key = (
            autopilot_incidents.c.team_id == team_id,
            autopilot_incidents.c.incident_id == incident_id,
        )
        async with self._engine.begin() as connection:
            updated = await connection.execute(
                update(autopilot_incidents).where(*key).values(**values)
            )
            if not updated.rowcount:
                await connection.execute(
                    insert(autopilot_incidents).values(
                        team_id=team_id, incident_id=incident_id, **values
                    )
                )

    async def forget_workspace(self, team_id: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(delete(autopilot_webhooks).where(_webhook_of(team_id)))
            await connection.execute(
                delete(autopilot_incidents).where(autopilot_incidents.c.team_id == team_id)
            )

    async def reseal_all(self) -> int:
        """Re-encrypt every webhook secret under the first configured key; how many."""
        rewritten = 0
        async with self._engine.begin() as connection:
            rows = (await connection.execute(select(autopilot_webhooks))).mappings().all()
            for row in rows:
                if not self._keyring.needs_resealing(row["secret"]):
                    continue
                context = f"{SECRET}:{row['team_id']}"
                await connection.execute(
                    update(autopilot_webhooks)
                    .where(_webhook_of(row["team_id"]))
                    .values(secret=self._keyring.reseal(row["secret"], context))
                )
                rewritten += 1
        return rewritten


def _webhook_of(team_id: str) -> ColumnElement[bool]:
    return autopilot_webhooks.c.team_id == team_id


def _minutes(window: timedelta) -> int:
    return int(window.total_seconds() // 60)


async def _settings_of(connection: AsyncConnection, team_id: str) -> AutopilotSettings | None:
    found = await connection.execute(select(autopilot_webhooks).where(_webhook_of(team_id)))
    row = found.mappings().first()
    return None if row is None else _settings(row)


def _settings(row: RowMapping) -> AutopilotSettings:
    last = None
    if row["last_delivery_at"] is not None:
        last = LastDelivery(
            at=as_utc(row["last_delivery_at"]),
            incident_id=row["last_incident_id"] or "",
            incident_title=row["last_incident_title"] or "",
            outcome=WebhookOutcome(row["last_outcome"]),
            detail=row["last_detail"] or "",
            channel_id=row["last_channel_id"],
        )
    return AutopilotSettings(
        team_id=row["team_id"],
        channel_id=row["channel_id"],
        window=timedelta(minutes=row["window_minutes"]),
        endpoint_id=row["endpoint_id"],
        enabled_by=row["enabled_by"],
        enabled_at=as_utc(row["enabled_at"]),
        last_delivery=last,
    )
