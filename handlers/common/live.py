"""A channel message updated in place as long work goes on (the sync's progress)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.common.context import post_message, update_message
from handlers.common.kit import Message

log = logging.getLogger(__name__)

# Slack asks apps to update a message no more than about once a second.
UPDATE_INTERVAL = 1.0


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
        posted = await post_message(client, channel, message)
        return cls(client, str(posted["channel"]), str(posted["ts"]))

    @property
    def thread(self) -> tuple[str, str]:
        """The message's channel and ts, to reply in its thread."""
        return self._channel, self._ts

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
            await update_message(self._client, self._channel, self._ts, message)
        except SlackApiError as error:
            # The work goes on; the next update (or the final state) may get through.
            log.warning("could not update a message in %s: %s", self._channel, error)
        self._updated_at = self._clock()
