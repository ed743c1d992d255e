"""`/cortex sync`: the Cortex → Rootly sync from Slack, and the Apply button of a dry run.

- `sync` (admins): a progress message in the channel, updated in place, ending with the summary;
- `sync dry-run` (admins): the plan, privately, with an Apply button that runs it;
- `sync status` (everyone): the last result and the schedule;
- `sync auto off|hourly|daily` (admins): automatic syncs, run by the scheduler;
- `sync fields` (admins): a modal with a checkbox per field the sync may own beyond name and
  description (owners, repository, paging, Slack channels), stored per workspace.

The router acks first and runs these as tracked background work, so a sync of minutes is fine here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError
from bot.sync import SyncField, SyncJob, SyncProgress, SyncReport
from handlers.common import ids
from handlers.common.acking import admin_only
from handlers.common.context import Invocation, is_admin, post_message, services_of, share_file
from handlers.common.errors import slack_error, user_message
from handlers.common.kit import Message
from handlers.common.live import LiveMessage
from handlers.common.mrkdwn import Mrkdwn, mention
from handlers.sync.blocks import (
    cannot_post_message,
    failure_message,
    full_plan_file,
    full_plan_message,
    full_plan_refused,
    interrupted_message,
    lists_everything,
    plan_message,
    progress_message,
    schedule_message,
    status_message,
    summary_message,
)
from handlers.sync.grammar import SyncAction, SyncCommand
from handlers.sync.modals import fields_form, loading_view, refusal_view, saved_view

log = logging.getLogger(__name__)


async def start_sync(invocation: Invocation) -> None:
    """Run a sync, announced in the invocation's channel; "already running" etc. raise first."""
    job = await invocation.services.sync.begin(invocation.team_id, triggered_by=invocation.user_id)
    try:
        live = await LiveMessage.post(
            invocation.client,
            invocation.channel_id,
            progress_message(SyncProgress("listing"), invocation.user_id),
        )
    except BaseException as error:
        await job.abandon()
        if not isinstance(error, SlackApiError):
            raise
        await _respond(invocation, cannot_post_message(slack_error(error), invocation.slash))
        return
    await _run_live(job, live, invocation)


async def _run_live(job: SyncJob, live: LiveMessage, invocation: Invocation) -> None:
    client, slash = invocation.client, invocation.slash
    by = job.info.triggered_by
    try:
        async with live.updating():
            report = await job.run(lambda progress: live.show(progress_message(progress, by)))
    except asyncio.CancelledError:
        # A shutdown: the channel is told, as the sync's history is (the job records it).
        await live.finish(interrupted_message(by, slash))
        raise
    except Exception as error:
        await live.finish(failure_message(user_message(error, slash), by))
        if not isinstance(error, BotError):
            raise
        log.warning("sync of %s stopped: %s", job.info.team_id, error)
        return
    await live.finish(summary_message(report))
    if not lists_everything(report):
        channel, ts = live.thread
        refused = await _refused(share_file(client, channel, ts, full_plan_file(report)), report)
        if refused:
            await post_message(client, channel, refused, thread_ts=ts)


async def _dm_full_plan(client: AsyncWebClient, user_id: str, report: SyncReport) -> None:
    """A dry run's full plan in the thread of a message in the admin's DM with the bot (an
    ephemeral answer has no thread)."""
    posted = await post_message(client, user_id, full_plan_message(report))
    await share_file(client, str(posted["channel"]), str(posted["ts"]), full_plan_file(report))


async def _refused(sharing: Awaitable[None], report: SyncReport) -> Message | None:
    """Share the full plan: None, or what to say when Slack refused it."""
    try:
        await sharing
    except SlackClientError as error:
        # Slack's refusal (a missing scope...), or the upload URL refusing the bytes.
        code = slack_error(error) if isinstance(error, SlackApiError) else "upload"
        log.warning("could not share the full sync plan of %s: %s", report.team_id, code)
        return full_plan_refused(code)
    return None


async def _respond(invocation: Invocation, message: Message) -> None:
    await invocation.respond(message)


async def run_sync(invocation: Invocation, _command: SyncCommand) -> None:
    await start_sync(invocation)


async def dry_run(invocation: Invocation, _command: SyncCommand) -> None:
    report = await invocation.services.sync.run(
        invocation.team_id, triggered_by=invocation.user_id, dry_run=True
    )
    await _respond(invocation, plan_message(report))
    if lists_everything(report):
        return
    refused = await _refused(_dm_full_plan(invocation.client, invocation.user_id, report), report)
    if refused:
        await _respond(invocation, refused)


async def show_status(invocation: Invocation, _command: SyncCommand) -> None:
    await invocation.services.connection(invocation.team_id)  # not connected: say so instead
    status = await invocation.services.sync.status(invocation.team_id)
    await _respond(invocation, status_message(status, invocation.slash))


async def schedule(invocation: Invocation, command: SyncCommand) -> None:
    scheduled = await invocation.services.sync.set_schedule(
        invocation.team_id, command.frequency, invocation.user_id
    )
    await _respond(invocation, schedule_message(scheduled, invocation.slash))


async def choose_fields(invocation: Invocation, _command: SyncCommand) -> None:
    """Open the modal first (the trigger expires in 3 s), then fill it: the form for admins."""
    client, services = invocation.client, invocation.services
    opened = await invocation.open_loading_modal(loading_view())
    admin, choice = await asyncio.gather(
        is_admin(client, services, invocation.team_id, invocation.user_id),
        services.sync.fields.get(invocation.team_id),
    )
    view = fields_form(choice) if admin else refusal_view(invocation.slash)
    await client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)


def _chosen(view: dict[str, Any]) -> list[SyncField]:
    state = view["state"]["values"].get(ids.SYNC_FIELDS_BLOCK, {}).get(ids.SYNC_FIELDS, {})
    values = {str(option.get("value")) for option in state.get("selected_options") or ()}
    return [field for field in SyncField if field.value in values]


async def submit_fields(
    ack: AsyncAck,
    _body: dict[str, Any],
    view: dict[str, Any],
    _client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    """Store the choice (admins only: see where it is registered)."""
    services = services_of(context)
    team_id, user_id = str(context.team_id), str(context.user_id)
    choice = await services.sync.set_fields(team_id, _chosen(view), user_id)
    await ack(response_action="update", view=saved_view(choice, services.settings.slack_command))
    log.info("sync fields of %s set to %s by %s", team_id, sorted(choice.fields), user_id)


RUN_SYNC = "run the Rootly sync"
ACTIONS: dict[SyncAction, Callable[[Invocation, SyncCommand], Awaitable[None]]] = {
    "run": admin_only(RUN_SYNC, run_sync),
    "dry-run": admin_only("preview the Rootly sync", dry_run),
    "status": show_status,
    "auto": admin_only("schedule the Rootly sync", schedule),
    # The modal itself tells members that only admins may choose (it must open first).
    "fields": choose_fields,
}


async def sync_command(invocation: Invocation, command: SyncCommand) -> None:
    await ACTIONS[command.action](invocation, command)


async def preview(invocation: Invocation) -> None:
    """The *Dry run of the sync* button (App Home): `/cortex sync dry-run`."""
    await sync_command(invocation, SyncCommand("dry-run"))


async def apply_plan(invocation: Invocation) -> None:
    """The Apply button of a dry run: runs the real sync, announced in the channel."""
    applied = Mrkdwn("{} applied this plan; the sync's progress is in the channel.").format(
        mention(invocation.user_id)
    )
    await invocation.respond(Message(applied), replace_original=True)
    await start_sync(invocation)
