"""Ack first, then the rest of a listener's work as a tracked task of its own; and the admin
guards, of work and of modal submissions.

Slack needs the ack within 3 s; whatever follows (Cortex calls, database reads, answers) continues
in `Services.tasks`. A failure reaches the same error handler as any listener's, so the person still
gets one plain sentence. (Bolt's own continuation can lose the ack when a listener fails within a
few milliseconds of acking, and answer Slack with a 404.)

    app.action(ids.DISCONNECT_CONFIRM)(acked(admin_only("disconnect Cortex", confirm_disconnect)))
    app.view(ids.CONNECT_VIEW)(admin_submission(refusal_view, submit_connect))
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotAdminError
from bot.observability import ANSWER_SECONDS
from handlers.common.context import Invocation, is_admin, services_of
from handlers.common.errors import report_failure
from handlers.common.middleware import kind_label

Work = Callable[[Invocation], Coroutine[Any, Any, None]]
# A view_submission listener, with the arguments Bolt passes it by name.
Submission = Callable[
    [AsyncAck, dict[str, Any], dict[str, Any], AsyncWebClient, AsyncBoltContext],
    Coroutine[Any, Any, None],
]
Listener = Callable[..., Coroutine[Any, Any, None]]
P = ParamSpec("P")


async def _reported(work: Work, invocation: Invocation, context: AsyncBoltContext) -> None:
    started = time.perf_counter()
    try:
        await work(invocation)
    except Exception as error:
        await report_failure(error, invocation.body, context, invocation.loading)
    finally:
        ANSWER_SECONDS.labels(kind_label(context)).observe(time.perf_counter() - started)


def acked(work: Work) -> Listener:
    """A listener that acks at once and continues with `work` in the background."""

    async def listener(
        ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        await ack()
        continue_in_background(work, Invocation.of(context, client, body), context)

    listener.__name__ = getattr(work, "__name__", "listener")
    return listener


def continue_in_background(work: Work, invocation: Invocation, context: AsyncBoltContext) -> None:
    label = f"{kind_label(context)} in {invocation.team_id}"
    services_of(context).tasks.spawn(_reported(work, invocation, context), label)


def admin_only(
    action: str, work: Callable[Concatenate[Invocation, P], Awaitable[None]]
) -> Callable[Concatenate[Invocation, P], Coroutine[Any, Any, None]]:
    """`work`, for workspace admins and BOT_ADMINS only; others are told they cannot `action`."""

    async def guarded(invocation: Invocation, /, *args: P.args, **kwargs: P.kwargs) -> None:
        if not await is_admin(
            invocation.client, invocation.services, invocation.team_id, invocation.user_id
        ):
            raise NotAdminError(invocation.user_id, action)
        await work(invocation, *args, **kwargs)

    guarded.__name__ = getattr(work, "__name__", "guarded")
    return guarded


def admin_submission(refusal: Callable[[str], View], submit: Submission) -> Submission:
    """A modal's submission for admins only: anyone else's is answered with `refusal` (given the
    slash command) in place (the modal was shown to an admin, but a submission is checked again,
    as it is what acts)."""

    async def listener(
        ack: AsyncAck,
        body: dict[str, Any],
        view: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
    ) -> None:
        services = services_of(context)
        team_id, user_id = str(context.team_id), str(context.user_id)
        if not await is_admin(client, services, team_id, user_id):
            await ack(response_action="update", view=refusal(services.settings.slack_command))
            return
        await submit(ack, body, view, client, context)

    listener.__name__ = getattr(submit, "__name__", "listener")
    return listener
