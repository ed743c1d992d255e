"""The scheduler's digest job with its Slack side: post each due digest in its channel.

A channel the bot can no longer post in turns its digest off, and the person who scheduled it is
told in a DM, instead of the digest failing every day.

    Scheduler([..., digest_job(services, slack_client)])  # bot.app's client factory

"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web.async_client import AsyncWebClient

from bot.digests import Delivery, DeliveryOutcome, Digest, DigestContent, DigestJob
from bot.observability import DIGEST_POSTS
from bot.scheduler import WallClock, utc_now
from bot.services import Services
from handlers.common.context import TextFile, post_message, share_file
from handlers.common.errors import CHANNEL_GONE, slack_error
from handlers.common.kit import Message
from handlers.common.tokens import ClientFactory, workspace_client
from handlers.digests.blocks import channel_gone_text, digest_post

log = logging.getLogger(__name__)

# Slack's answers meaning the channel is closed to the bot for good (until someone acts).
NOT_INSTALLED = "app_not_installed"


async def post_digest(
    client: AsyncWebClient, channel_id: str, content: DigestContent, frequency: str | None
) -> None:
    """Post a digest's summary, then its details in the summary's thread, and the file with every
    detail when they did not all fit; raises `SlackApiError` when Slack refuses the summary. A
    reply or file refused or lost on the way is logged, and the rest left out: the summary is out,
    and posting the digest again would repeat it."""
    post = digest_post(content, frequency)
    posted = await post_message(client, channel_id, post.summary)
    DIGEST_POSTS.labels("posted").inc()
    thread = str(posted["ts"])
    if await _post_replies(client, channel_id, thread, post.details) and post.file:
        await _share_details(client, channel_id, thread, post.file)


async def _post_replies(
    client: AsyncWebClient, channel_id: str, thread: str, replies: tuple[Message, ...]
) -> bool:
    """Whether every reply was posted."""
    for number, reply in enumerate(replies, start=1):
        try:
            await post_message(client, channel_id, reply, thread_ts=thread)
        except SlackApiError as error:
            log.warning(
                "the details of a digest in %s were refused: %s", channel_id, slack_error(error)
            )
            return False
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "reply %d of a digest in %s was not sent (%s); the %d after it are left out",
                number,
                channel_id,
                type(error).__name__,
                len(replies) - number,
            )
            return False
    return True


async def _share_details(
    client: AsyncWebClient, channel_id: str, thread: str, file: TextFile
) -> None:
    try:
        await share_file(client, channel_id, thread, file)
    except SlackApiError as error:
        log.warning(
            "the file with every detail of a digest in %s was refused: %s",
            channel_id,
            slack_error(error),
        )
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning(
            "the file with every detail of a digest in %s was not sent (%s)",
            channel_id,
            type(error).__name__,
        )


class SlackPoster:
    def __init__(self, services: Services, new_client: ClientFactory) -> None:
        self._services = services
        self._new_client = new_client

    async def __call__(self, digest: Digest, content: DigestContent) -> Delivery:
        try:
            client = await workspace_client(self._services, self._new_client, digest.team_id)
        except SlackTokenRotationError as error:
            return Delivery(
                DeliveryOutcome.RETRY, f"token refresh refused: {slack_error(error.api_error)}"
            )
        if client is None:
            return Delivery(DeliveryOutcome.DISABLE, NOT_INSTALLED)
        try:
            await post_digest(client, digest.channel_id, content, digest.recurrence.frequency)
        except SlackApiError as error:
            reason = slack_error(error)
            if reason not in CHANNEL_GONE:
                return Delivery(DeliveryOutcome.RETRY, reason)
            await _tell_creator(client, digest, reason, self._services.settings.slack_command)
            return Delivery(DeliveryOutcome.DISABLE, reason)
        return Delivery(DeliveryOutcome.POSTED)


async def _tell_creator(client: AsyncWebClient, digest: Digest, reason: str, slash: str) -> None:
    try:
        told = Message(channel_gone_text(digest, reason, slash))
        await post_message(client, digest.created_by, told)
    except SlackApiError as error:
        log.warning("could not tell %s their digest was turned off: %s", digest.created_by, error)


def digest_job(
    services: Services, new_client: ClientFactory, *, clock: WallClock = utc_now
) -> DigestJob:
    """The scheduler's job that posts the due digests of every workspace."""
    return DigestJob(services, SlackPoster(services, new_client), clock=clock)
