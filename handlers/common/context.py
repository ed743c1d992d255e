"""What listeners need from a request beyond Slack's payload: who, where, how to answer, rights."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.catalog import Catalog
from bot.cortex.models import Deployer
from bot.services import Services
from handlers.common.kit import Message
from handlers.common.mrkdwn import Mrkdwn

log = logging.getLogger(__name__)

SERVICES_KEY = "services"


@dataclass
class LoadingModal:
    """The modal showing "Loading…" while a request's work goes on, once it has one: where a
    failure of that work is told, so that the modal never waits forever."""

    view_id: str | None = None
    title: str | None = None

    def shows(self, view: dict[str, Any]) -> None:
        self.view_id = str(view["id"])
        self.title = (view.get("title") or {}).get("text")


@dataclass(frozen=True)
class Invocation:
    """One request from Slack, after the ack: who asked, where, and how to answer."""

    services: Services
    client: AsyncWebClient
    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    body: dict[str, Any]
    response_url: str | None = None
    loading: LoadingModal = field(default_factory=LoadingModal)

    @classmethod
    def of(
        cls, context: AsyncBoltContext, client: AsyncWebClient, body: dict[str, Any]
    ) -> Invocation:
        channel = body.get("channel_id") or (body.get("channel") or {}).get("id") or ""
        return cls(
            services=services_of(context),
            client=client,
            team_id=str(context.team_id),
            user_id=str(context.user_id),
            channel_id=str(channel),
            trigger_id=str(body.get("trigger_id") or ""),
            body=body,
            response_url=context.response_url,
        )

    @property
    def slash(self) -> str:
        """The slash command this app answers (SLACK_COMMAND), as every text names it."""
        return self.services.settings.slack_command

    @property
    def value(self) -> str:
        """The value of the button that was clicked."""
        return str(self.body["actions"][0].get("value") or "")

    async def respond(
        self,
        message: Message,
        *,
        in_channel: bool = False,
        replace_original: bool = False,
        delete_original: bool = False,
    ) -> None:
        """Answer through the response URL (privately unless `in_channel`), or to the person
        directly where there is none (a button in App Home)."""
        if self.response_url:
            await respond_via(
                self.services,
                self.response_url,
                message,
                response_type="in_channel" if in_channel else "ephemeral",
                replace_original=replace_original,
                delete_original=delete_original,
            )
        else:
            await tell_user(self.client, self.user_id, self.channel_id or None, message)

    async def catalog(self) -> Catalog:
        return await self.services.workspace_catalog(self.team_id)

    async def open_loading_modal(self, view: View) -> dict[str, Any]:
        """Open (or push, over a modal) a modal that says "Loading…" until the work fills it in:
        if the work fails first, the error map shows the failure in it."""
        opened = await open_modal(self.client, self.body, view)
        self.loading.shows(opened)
        return opened


async def respond_via(
    services: Services, response_url: str, message: Message, **options: Any
) -> None:
    """Post to a response URL on Slack's session (Bolt's `respond` opens a new one each time).
    `options`: `response_type`, `replace_original`, `delete_original`."""
    webhook = AsyncWebhookClient(response_url, session=services.slack_http)
    answer = await webhook.send(**message.payload(), **options)
    if answer.status_code != 200:
        log.warning("the response URL answered %s: %s", answer.status_code, answer.body)


def services_of(context: AsyncBoltContext) -> Services:
    services: Services = context[SERVICES_KEY]
    return services


async def catalog_of(context: AsyncBoltContext) -> Catalog:
    return await services_of(context).workspace_catalog(str(context.team_id))


async def is_admin(client: AsyncWebClient, services: Services, team_id: str, user_id: str) -> bool:
    """Admins and owners of the requesting workspace (per users.info), and the users named in
    BOT_ADMINS. An admin of another workspace (a Slack Connect guest, say) is not one here."""
    if user_id in services.settings.bot_admins:
        return True
    return _admin_in(await _slack_user(client, user_id), team_id)


async def deployer_of(client: AsyncWebClient, user_id: str) -> Deployer:
    """The Slack user as Cortex records a deployer: real name and email from users.info."""
    return _as_deployer(await _slack_user(client, user_id))


async def admin_and_deployer(
    client: AsyncWebClient, services: Services, team_id: str, user_id: str
) -> tuple[bool, Deployer]:
    """Both of the above from one users.info call."""
    user = await _slack_user(client, user_id)
    return user_id in services.settings.bot_admins or _admin_in(user, team_id), _as_deployer(user)


async def _slack_user(client: AsyncWebClient, user_id: str) -> dict[str, Any]:
    user: dict[str, Any] = (await client.users_info(user=user_id))["user"]
    return user


def _admin_in(user: dict[str, Any], team_id: str) -> bool:
    if not _belongs_to(user, team_id):
        return False
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def _belongs_to(user: dict[str, Any], team_id: str) -> bool:
    # An Enterprise Grid member's home team may differ from the workspace they are in.
    teams = (user.get("enterprise_user") or {}).get("teams") or ()
    return user.get("team_id") == team_id or team_id in teams


def _as_deployer(user: dict[str, Any]) -> Deployer:
    profile = user.get("profile", {})
    return Deployer(
        name=profile.get("real_name") or user.get("real_name") or user.get("name"),
        email=profile.get("email"),
    )


async def tell_user(
    client: AsyncWebClient, user_id: str, channel_id: str | None, said: Mrkdwn | Message
) -> None:
    """Say something to one person: in the channel they were in if possible, else in a DM."""
    payload = (said if isinstance(said, Message) else Message(said)).payload()
    if channel_id:
        try:
            await client.chat_postEphemeral(channel=channel_id, user=user_id, **payload)
            return
        except SlackApiError as error:
            log.info("cannot answer %s in %s (%s); sending a DM", user_id, channel_id, error)
    await client.chat_postMessage(channel=user_id, **payload)


async def post_message(
    client: AsyncWebClient, channel_id: str, message: Message, *, thread_ts: str | None = None
) -> Any:
    """Post in a channel, or in a message's thread (links not unfurled: a card's links are not
    news); Slack's answer."""
    return await client.chat_postMessage(
        channel=channel_id, thread_ts=thread_ts, unfurl_links=False, **message.payload()
    )


@dataclass(frozen=True)
class TextFile:
    """A plain-text file to share in Slack: a list too long for a message."""

    name: str
    title: str
    content: str


async def share_file(
    client: AsyncWebClient, channel_id: str, thread_ts: str, file: TextFile
) -> None:
    """Share a text file in a message's thread (Slack's upload: an upload URL, then the file)."""
    await client.files_upload_v2(
        channel=channel_id,
        thread_ts=thread_ts,
        filename=file.name,
        title=file.title,
        content=file.content,
    )


async def update_message(
    client: AsyncWebClient, channel_id: str, ts: str, message: Message
) -> None:
    await client.chat_update(channel=channel_id, ts=ts, **message.payload())


async def open_modal(client: AsyncWebClient, body: dict[str, Any], view: View) -> dict[str, Any]:
    """Open a modal from a message or App Home, or push it on top when the click came from inside
    a modal."""
    if (body.get("view") or {}).get("type") == "modal":
        response = await client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        response = await client.views_open(trigger_id=body["trigger_id"], view=view)
    return dict(response["view"])
