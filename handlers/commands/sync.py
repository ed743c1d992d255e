"""`/cortex sync`: the Cortex → Rootly sync from Slack.

- `sync` (admins): a progress message in the channel, updated in place, ending with the summary;
- `sync dry-run` (admins): the plan, privately, with an Apply button (handlers/actions/sync.py);
- `sync status` (everyone): the last result and the schedule;
- `sync auto off|hourly|daily` (admins): automatic syncs, run by the scheduler.

The router acks first and runs these as tracked background work, so a sync of minutes is fine here.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import BotError
from bot.sync import SyncEngine, SyncFrequency, SyncJob, SyncProgress
from handlers.blocks.common import Message
from handlers.blocks.sync import (
    cannot_post_message,
    failure_message,
    plan_message,
    progress_message,
    schedule_message,
    status_message,
    summary_message,
)
from handlers.commands.grammar import Sync, SyncAction, SyncSchedule
from handlers.context import Invocation, require_admin
from handlers.errors import user_message

log = logging.getLogger(__name__)

# Slack asks apps to update a message no more than about once a second.
UPDATE_INTERVAL = 1.0
FREQUENCY_OF: dict[SyncSchedule, SyncFrequency | None] = {
    "off": None,
    "hourly": "hourly",
    "daily": "daily",
}


class LiveMessage:
    """A channel message updated in place as work goes on: at most once per `interval`, showing the
    latest state (states shown in between are skipped), then a final state."""

    def __init__(
        self,
        client: AsyncWebClient,
        channel: str,
        ts: str,
        *,
        interval: float = UPDATE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._client = client
        self._channel = channel
        self._ts = ts
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._pending: Message | None = None
        self._updated_at = clock()

    @classmethod
    async def post(cls, client: AsyncWebClient, channel: str, message: Message) -> LiveMessage:
        posted = await client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks
        )
        return cls(client, str(posted["channel"]), str(posted["ts"]))

    def show(self, message: Message) -> None:
        self._pending = message

    @asynccontextmanager
    async def updating(self) -> AsyncIterator[None]:
        """Keep the message up to date while the body runs."""
        loop = asyncio.create_task(self._keep_updating())
        try:
            yield
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)

    async def finish(self, message: Message) -> None:
        self._pending = None
        await self._update(message)

    async def _keep_updating(self) -> None:
        while True:
            await self._sleep(self._interval)
            message, self._pending = self._pending, None
            if message is not None:
                await self._update(message)

    async def _update(self, message: Message) -> None:
        wait = self._updated_at + self._interval - self._clock()
        if wait > 0:
            await self._sleep(wait)
        try:
            await self._client.chat_update(
                channel=self._channel, ts=self._ts, text=message.text, blocks=message.blocks
            )
        except SlackApiError as error:
            # The sync goes on; the next update (or the summary) may get through.
            log.warning("could not update a message in %s: %s", self._channel, error)
        self._updated_at = self._clock()


def _engine(invocation: Invocation) -> SyncEngine:
    return SyncEngine(invocation.services)


async def require_sync_admin(invocation: Invocation, action: str) -> None:
    await require_admin(invocation.client, invocation.services, invocation.user_id, action)


async def start_sync(invocation: Invocation) -> None:
    """Run a sync, announced in the invocation's channel; "already running" etc. raise first."""
    job = await _engine(invocation).begin(invocation.team_id, triggered_by=invocation.user_id)
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
        await _respond(invocation, cannot_post_message(str(error.response.get("error"))))
        return
    await _run_live(job, live)


async def _run_live(job: SyncJob, live: LiveMessage) -> None:
    by = job.info.triggered_by
    try:
        async with live.updating():
            report = await job.run(lambda progress: live.show(progress_message(progress, by)))
    except Exception as error:
        await live.finish(failure_message(user_message(error), by))
        if not isinstance(error, BotError):
            raise
        log.warning("sync of %s stopped: %s", job.info.team_id, error)
        return
    await live.finish(summary_message(report))


async def _respond(invocation: Invocation, message: Message) -> None:
    await invocation.respond(text=message.text, blocks=message.blocks, response_type="ephemeral")


async def run_sync(invocation: Invocation, _command: Sync) -> None:
    await require_sync_admin(invocation, "run the Rootly sync")
    await start_sync(invocation)


async def dry_run(invocation: Invocation, _command: Sync) -> None:
    await require_sync_admin(invocation, "preview the Rootly sync")
    report = await _engine(invocation).run(
        invocation.team_id, triggered_by=invocation.user_id, dry_run=True
    )
    await _respond(invocation, plan_message(report))


async def show_status(invocation: Invocation, _command: Sync) -> None:
    await invocation.services.connection(invocation.team_id)  # not connected: say so instead
    await _respond(invocation, status_message(await _engine(invocation).status(invocation.team_id)))


async def schedule(invocation: Invocation, command: Sync) -> None:
    await require_sync_admin(invocation, "schedule the Rootly sync")
    frequency = FREQUENCY_OF[command.schedule or "off"]
    scheduled = await _engine(invocation).set_schedule(
        invocation.team_id, frequency, invocation.user_id
    )
    await _respond(invocation, schedule_message(scheduled))


ACTIONS: dict[SyncAction, Callable[[Invocation, Sync], Awaitable[None]]] = {
    "run": run_sync,
    "dry-run": dry_run,
    "status": show_status,
    "auto": schedule,
}


async def sync_command(invocation: Invocation, command: Sync) -> None:
    await ACTIONS[command.action](invocation, command)
