"""`/cortex digest`: schedule, list, turn off or post now the current channel's digests.

- `digest daily|weekly [at HH:MM] [group=G] [owner=TEAM] [env=E] [on=DAY]`: the time is the
  scheduling person's (their Slack time zone); a weekly digest posts on the day it was scheduled
  unless `on=` says otherwise; `env=` keeps only the deploys to that environment. The same scope
  scheduled again in a channel replaces the earlier schedule.
- `digest list`: this channel's digests, each with a Delete button;
- `digest off`: deletes this channel's digests;
- `digest now`: posts the channel's digests now (or one of every service if it has none), without
  moving their schedule or what the next scheduled digest covers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.digests import (
    Digest,
    NewDigest,
    Scope,
    digest_content,
    recurrence_for,
    zone_or_utc,
)
from bot.digests.content import digest_catalog, services_in_scope, snapshot_of
from bot.scheduler import utc_now
from handlers.common.context import Invocation
from handlers.common.errors import slack_error
from handlers.common.kit import Message
from handlers.digests.blocks import (
    cannot_post_message,
    list_message,
    removed_message,
    scheduled_message,
)
from handlers.digests.grammar import DigestAction, DigestCommand
from handlers.digests.job import post_digest

log = logging.getLogger(__name__)


async def _answer(invocation: Invocation, message: Message, *, in_channel: bool = False) -> None:
    await invocation.respond(message, in_channel=in_channel)


async def _user_zone(invocation: Invocation) -> str:
    user: dict[str, Any] = (await invocation.client.users_info(user=invocation.user_id))["user"]
    return zone_or_utc(user.get("tz"))


async def schedule(invocation: Invocation, command: DigestCommand) -> None:
    assert command.frequency is not None, "the grammar gives every schedule a frequency"
    scope = Scope(group=command.group, owner=command.owner, environment=command.environment)
    catalog = await digest_catalog(invocation.services, invocation.team_id)
    in_scope = (await services_in_scope(catalog, scope)).value
    now = utc_now()
    recurrence = recurrence_for(
        command.frequency, command.at, command.weekday, await _user_zone(invocation), now
    )
    new = NewDigest(
        team_id=invocation.team_id,
        channel_id=invocation.channel_id,
        scope=scope,
        recurrence=recurrence,
        created_by=invocation.user_id,
    )
    digest = await invocation.services.digests.schedule(new, now, snapshot_of(in_scope))
    live = sum(not entity.is_archived for entity in in_scope)
    await _answer(invocation, scheduled_message(digest, live, invocation.user_id), in_channel=True)


async def show_list(invocation: Invocation, _command: DigestCommand) -> None:
    digests = await invocation.services.digests.for_channel(
        invocation.team_id, invocation.channel_id
    )
    await _answer(invocation, list_message(digests, invocation.slash))


async def turn_off(invocation: Invocation, _command: DigestCommand) -> None:
    removed = await invocation.services.digests.delete_channel(
        invocation.team_id, invocation.channel_id
    )
    await _answer(
        invocation, removed_message(removed, invocation.user_id), in_channel=bool(removed)
    )


async def post_now(invocation: Invocation, _command: DigestCommand) -> None:
    services = invocation.services
    # A request Slack (or anyone) sends again carries the same trigger: it posts nothing more.
    if not await services.claims.claim(invocation.team_id, "digest now", invocation.trigger_id):
        log.info("ignored a repeated `digest now` in %s", invocation.channel_id)
        return
    digests = await services.digests.for_channel(invocation.team_id, invocation.channel_id)
    now = utc_now()
    targets: list[Digest | None] = [*digests] or [None]
    for digest in targets:
        content = await digest_content(invocation.services, invocation.team_id, digest, now)
        frequency = None if digest is None else digest.recurrence.frequency
        try:
            await post_digest(invocation.client, invocation.channel_id, content, frequency)
        except SlackApiError as error:
            await _answer(invocation, cannot_post_message(slack_error(error)))
            return


ACTIONS: dict[DigestAction, Callable[[Invocation, DigestCommand], Awaitable[None]]] = {
    "schedule": schedule,
    "list": show_list,
    "off": turn_off,
    "now": post_now,
}


async def digest_command(invocation: Invocation, command: DigestCommand) -> None:
    await ACTIONS[command.action](invocation, command)


async def delete_digest(invocation: Invocation) -> None:
    """The Delete button of `/cortex digest list`: deletes that digest, if it is one of the
    channel's the list was shown in, and shows the list again."""
    store = invocation.services.digests
    team_id, channel_id = invocation.team_id, invocation.channel_id
    await store.delete(team_id, channel_id, invocation.value)
    message = list_message(await store.for_channel(team_id, channel_id), invocation.slash)
    await invocation.respond(message, replace_original=True)
