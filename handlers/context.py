"""What listeners need from the request beyond Slack's payload: shared services and permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotAdminError
from bot.services import Services

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Invocation:
    """One `/cortex` command, after the ack: who asked, where, and how to answer."""

    services: Services
    client: AsyncWebClient
    respond: AsyncRespond
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str


def services_of(context: AsyncBoltContext) -> Services:
    services: Services = context[SERVICES_KEY]
    return services


async def is_admin(client: AsyncWebClient, services: Services, user_id: str) -> bool:
    """Workspace admins and owners (per users.info), and the users named in BOT_ADMINS."""
    if user_id in services.settings.bot_admins:
        return True
    user: dict[str, Any] = (await client.users_info(user=user_id))["user"]
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


async def require_admin(
    client: AsyncWebClient, services: Services, user_id: str, action: str
) -> None:
    if not await is_admin(client, services, user_id):
        raise NotAdminError(user_id, action)
