"""Domain errors → one plain sentence for the user, in one place, and a log line for operators.

Listeners let errors propagate; the error handler here logs them with context and answers where
the person is looking: in the modal that says "Loading…" while the failed work was filling it
(updated with the sentence, as Dispatch's Slack error handler does), else through the request's
response URL, or, for modal submissions and shortcuts (which have none), to the person in the
channel the modal was opened from or in a DM.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.crypto import DecryptionError
from bot.egress import Refusal, UrlRefusedError
from bot.errors import (
    ApiError,
    BotError,
    BudgetBusyError,
    EmptyCatalogError,
    InvalidRequestError,
    KeyNotEnteredForUrlError,
    LeaseLostError,
    NotAdminError,
    NotConnectedError,
    NotFoundError,
    OversizeAnswerError,
    PublicUrlMissingError,
    RateLimitedError,
    RootlyNotConnectedError,
    SyncInProgressError,
    UnauthorizedError,
    UnavailableError,
    UnknownScorecardError,
    UnknownServiceError,
    UnreadableAnswerError,
)
from handlers.common import ids
from handlers.common.blocks import not_connected_blocks
from handlers.common.context import LoadingModal, respond_via, services_of, tell_user
from handlers.common.kit import Message, modal, section
from handlers.common.mrkdwn import Mrkdwn, escaped

log = logging.getLogger(__name__)

# Why a Cortex URL may not be used, as the connect modal says it on the URL field.
URL_REFUSALS = {
    Refusal.NOT_A_URL: "Enter the URL of the Cortex API, starting with https://.",
    Refusal.PLAIN_HTTP: "Use https: this bot does not send keys over plain http.",
    Refusal.USERINFO: "Leave the user name and password out of the URL: the API key is enough.",
    Refusal.QUERY: "Enter the URL without a query (the part from ?).",
    Refusal.FRAGMENT: "Enter the URL without a fragment (the part from #).",
    Refusal.NUMERIC_HOST: "Write the host as a name, or as an address like 203.0.113.7.",
    Refusal.PRIVATE_ADDRESS: (
        "That address is on a private network (loopback, private or link-local), "
        "which this bot may not call."
    ),
    Refusal.OWN_ADDRESS: "That address is the bot's own, which it may not call.",
}
KEY_FOR_NEW_URL = (
    "Enter the Cortex API key again for the new URL: a stored key is only ever sent to the URL "
    "it was entered for."
)


def user_message(error: BaseException, slash: str) -> Mrkdwn:
    """One sentence a person can act on: what happened and what to do, naming the app's slash
    command. Never a stack trace, a secret, an exception's class, the bot's own names or an
    operator's setting: the log line that `report_failure` writes has those."""
    match error:
        case NotConnectedError():
            return Mrkdwn(
                "This workspace is not connected to Cortex yet: an admin can run `{} connect`."
            ).format(slash)
        case NotAdminError(action=action):
            return Mrkdwn("Only workspace admins can {}: ask one of them to do it.").format(action)
        case UnknownServiceError(query=query):
            return Mrkdwn("No service matches `{}`.").format(query)
        case UnknownScorecardError(query=query):
            return Mrkdwn("No scorecard matches `{}`.").format(query)
        case UnauthorizedError(service=service):
            return Mrkdwn(
                "{} refused this workspace's API key: it may have expired or lack "
                "permission. An admin can update it with `{} connect`."
            ).format(service, slash)
        case NotFoundError(service=service):
            return Mrkdwn("{} does not know that: {}.").format(service, _detail(error))
        case RateLimitedError(service=service, retry_after=seconds):
            wait = f" in {seconds:.0f} s" if seconds else " in a minute"
            return Mrkdwn("{} is rate limiting this workspace; try again{}.").format(service, wait)
        case BudgetBusyError(service=service, retry_in=seconds):
            # Our own queue for the key, not Cortex: it is never called "not answering".
            return Mrkdwn("This workspace's {} budget is busy; try again in {} s.").format(
                service, seconds
            )
        case UnreadableAnswerError(service=service):
            return Mrkdwn(
                "{} answered with something the bot cannot read, which is on {}'s side; try "
                "again later, and tell your {} admin if it goes on."
            ).format(service, service, service)
        case UrlRefusedError(refusal=refusal):
            return Mrkdwn(
                "This workspace's Cortex URL cannot be used: {} "
                "An admin can change it with `{} connect`."
            ).format(URL_REFUSALS[refusal], slash)
        case KeyNotEnteredForUrlError():
            return escaped(KEY_FOR_NEW_URL)
        case OversizeAnswerError(service=service):
            return Mrkdwn(
                "{} answered with more than the bot reads for one request ({}), "
                "so it stopped reading."
            ).format(service, _detail(error))
        case UnavailableError(service=service):
            return Mrkdwn("{} is not answering right now; try again in a minute.").format(service)
        case InvalidRequestError(service=service):
            return Mrkdwn("{} rejected the request: {}.").format(service, _detail(error))
        case RootlyNotConnectedError():
            return Mrkdwn(
                "This workspace has no Rootly API key yet: an admin can add one with `{} connect`."
            ).format(slash)
        case SyncInProgressError():
            return Mrkdwn(
                "A sync of this workspace is already running; "
                "`{} sync status` shows the last result."
            ).format(slash)
        case EmptyCatalogError():
            return Mrkdwn(
                "Cortex listed no services, so the sync stopped before writing anything to "
                "Rootly. Check the Cortex connection and try again."
            )
        case LeaseLostError():
            return Mrkdwn(
                "The sync stopped: another copy of the bot took it over after this one went quiet. "
                "`{} sync status` shows the latest result."
            ).format(slash)
        case PublicUrlMissingError():
            return Mrkdwn(
                "Rootly needs an address to send incidents to, and this bot has none yet: "
                "ask the people who run the bot to set its public address (PUBLIC_URL)."
            )
        case DecryptionError():
            return Mrkdwn(
                "This workspace's stored keys can no longer be read (the bot's encryption keys "
                "changed): an admin can enter them again with `{} connect`."
            ).format(slash)
        case _:
            return Mrkdwn(
                "Something went wrong on our side and it has been logged; please try again."
            )


# Slack's answers meaning a channel is closed to the bot for good (until someone acts).
CHANNEL_GONE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


def slack_error(error: SlackApiError) -> str:
    """Slack's own name for what went wrong (`not_in_channel`, `missing_scope`...), for logs and
    for deciding; `slack_refusal` says it to people."""
    return str(error.response.get("error") or "unknown_error")


# What Slack's refusals mean for a person, keyed by Slack's code.
_SLACK_REFUSALS = {
    "not_in_channel": "I am not a member of the channel: invite me to it",
    "channel_not_found": "I cannot see the channel: a private one needs me invited",
    "is_archived": "the channel is archived",
    "restricted_action": "the channel lets only some people post",
    "missing_scope": "the app lacks a permission it needs: an admin can reinstall it",
    "ratelimited": "Slack is rate limiting the app: try again in a minute",
}


def slack_refusal(error: SlackApiError | str) -> Mrkdwn:
    """Why Slack refused, as a person can act on it (a `SlackApiError` or its code); Slack's code
    itself is for the log."""
    code = error if isinstance(error, str) else slack_error(error)
    return escaped(_SLACK_REFUSALS.get(code, "Slack refused it"))


def _detail(error: ApiError) -> str:
    return error.detail.rstrip(".")


def blocks_for(error: BaseException, slash: str) -> list[Block]:
    if isinstance(error, NotConnectedError):
        return not_connected_blocks(slash)
    return [section(user_message(error, slash))]


def error_view(title: str | None, sentence: Mrkdwn) -> View:
    """A loading modal's last state when its work failed: the sentence, and a way out."""
    return modal(ids.ERROR_VIEW, title or "Something went wrong", [section(sentence)])


async def report_error(error: Exception, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The app's error handler, for what fails in a listener before any modal is loading."""
    await report_failure(error, body, context, LoadingModal())


async def report_failure(
    error: Exception, body: dict[str, Any], context: AsyncBoltContext, loading: LoadingModal
) -> None:
    known = isinstance(error, BotError | DecryptionError)
    log.log(
        logging.WARNING if known else logging.ERROR,
        "listener failed: team=%s user=%s kind=%s: %s",
        context.team_id,
        context.user_id,
        body.get("command") or body.get("type"),
        error,
        exc_info=not known,
    )
    services = services_of(context)
    slash = services.settings.slack_command
    sentence = user_message(error, slash)
    if loading.view_id and await _shown_in_modal(context, loading, sentence):
        return
    if context.response_url:
        message = Message(sentence, blocks_for(error, slash))
        await respond_via(
            services_of(context), context.response_url, message, response_type="ephemeral"
        )
    elif context.user_id and context.client is not None:
        # Modal submissions and shortcuts carry no response URL: tell the person directly.
        try:
            await tell_user(context.client, context.user_id, _channel_of(body), sentence)
        except SlackApiError as failure:
            log.warning("could not tell %s about the failure: %s", context.user_id, failure)


async def _shown_in_modal(
    context: AsyncBoltContext, loading: LoadingModal, sentence: Mrkdwn
) -> bool:
    if context.client is None:
        return False
    try:
        await context.client.views_update(
            view_id=loading.view_id, view=error_view(loading.title, sentence)
        )
    except SlackApiError as failure:
        # Closed by the person meanwhile: they hear of it where a modal-less request would.
        log.info("could not show the failure in modal %s: %s", loading.view_id, failure)
        return False
    return True


def _channel_of(body: dict[str, Any]) -> str | None:
    """The channel a request came from; for a modal, the one it was opened from (its metadata)."""
    channel = (body.get("channel") or {}).get("id")
    if channel:
        return str(channel)
    metadata = (body.get("view") or {}).get("private_metadata") or "{}"
    try:
        found = json.loads(metadata).get("channel")
    except (ValueError, AttributeError):
        return None
    return str(found) if found else None


def register(app: AsyncApp) -> None:
    app.error(report_error)
