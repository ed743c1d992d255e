"""The autopilot's Slack side outside any request: post or update an incident's Cortex context
message with the workspace's bot token (refreshed first when it rotates), and tell the core
what Slack's refusals mean."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from bot.autopilot import IncidentContext, Posted, PublishError
from bot.services import Services
from bot.snapshot import ServiceSnapshot
from handlers.autopilot.blocks import context_message
from handlers.common.blocks import service_people
from handlers.common.context import post_message, update_message
from handlers.common.errors import CHANNEL_GONE, slack_error, slack_refusal
from handlers.common.kit import Message
from handlers.common.people import slack_people
from handlers.common.tokens import ClientFactory, workspace_client

# Slack's answers to chat.update when the message to update is no longer there.
MESSAGE_GONE = frozenset({"message_not_found", "cant_update_message"})


def _meaning(reason: str) -> str:
    # Plain text: the status line that shows it escapes it once.
    return slack_refusal(reason).unescape()


class SlackPublisher:
    """`bot.autopilot.Publisher` for Slack."""

    def __init__(self, services: Services, new_client: ClientFactory) -> None:
        self._services = services
        self._new_client = new_client

    async def post(self, team_id: str, channel_id: str, context: IncidentContext) -> Posted:
        client = await self._client(team_id)
        try:
            answer = await post_message(
                client, channel_id, await self._message(client, team_id, context)
            )
        except SlackApiError as error:
            reason = slack_error(error)
            raise PublishError(
                reason, meaning=_meaning(reason), channel_closed=reason in CHANNEL_GONE
            ) from None
        return await _with_link(client, str(answer["channel"]), str(answer["ts"]))

    async def update(self, team_id: str, message: Posted, context: IncidentContext) -> Posted:
        client = await self._client(team_id)
        try:
            await update_message(
                client,
                message.channel_id,
                message.ts,
                await self._message(client, team_id, context),
            )
        except SlackApiError as error:
            reason = slack_error(error)
            raise PublishError(
                reason, meaning=_meaning(reason), gone=reason in MESSAGE_GONE
            ) from None
        return await _with_link(client, message.channel_id, message.ts)

    async def _message(
        self, client: AsyncWebClient, team_id: str, context: IncidentContext
    ) -> Message:
        """The context, with the owners and on-call people Slack knows by email as mentions: the
        people who should look are notified."""
        emails = [
            email
            for service in context.services
            if isinstance(service.known, ServiceSnapshot)
            for email in service_people(service.known)
        ]
        people = await slack_people(client, self._services, team_id, emails)
        return context_message(context, self._services.settings.slack_command, people)

    async def _client(self, team_id: str) -> AsyncWebClient:
        try:
            client = await workspace_client(self._services, self._new_client, team_id)
        except SlackTokenRotationError as error:
            raise PublishError(f"token refresh refused: {slack_error(error.api_error)}") from None
        if client is None:
            raise PublishError("app_not_installed")
        return client


async def _with_link(client: AsyncWebClient, channel_id: str, ts: str) -> Posted:
    """Where the message is, and its permalink for Rootly's timeline (None if Slack won't say)."""
    try:
        answer = await client.chat_getPermalink(channel=channel_id, message_ts=ts)
    except SlackApiError:
        return Posted(channel_id, ts, None)
    return Posted(channel_id, ts, str(answer["permalink"]))
