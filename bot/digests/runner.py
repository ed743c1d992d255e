"""The scheduler's digest job: claims each due slot once across processes, builds and posts it.

A digest is built ahead of its slot, in the background lane of the Cortex budget, early enough
for its size (`lead_time`: two reads per service in scope, at what background work may use of
the budget, plus a margin), then posted at the slot. What it reports runs until it was built.

Posting is injected (`Poster`), so this module knows nothing of Slack: `handlers/digests` gives the
Slack poster. A slot is posted once if its claim is won within the grace period after it was due;
later than that (everything was down) it is skipped with a log line, and the next digest covers
the gap. When Cortex cannot be read, or Slack answers that it did not post, the slot is released
and tried again a few minutes later, by whichever process comes first, until the grace period ends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

from bot.budget import BudgetLimits
from bot.crypto import DecryptionError
from bot.digests.content import DigestContent, digest_content
from bot.digests.schedule import PERIODS
from bot.digests.store import Claim, Digest, Done, SlotState
from bot.errors import BotError, NotConnectedError
from bot.lanes import Lane
from bot.observability import DIGEST_POSTS
from bot.scheduler import DueWork, Room, WallClock, utc_now

if TYPE_CHECKING:
    # Services holds the sync engine and digest store: a runtime import would be a cycle.
    from bot.services import Services

log = logging.getLogger(__name__)

# A slot found this late (every process was down) is skipped rather than posted. Shorter than
# any period, so a catch-up can never post two slots of one digest.
GRACE = timedelta(hours=2)
# How long a claim keeps other processes away while a digest is built (cut off at 80% of it).
CLAIM_TTL = timedelta(minutes=5)
# How long a post may take before the slot counts as stopped mid-post.
POST_TTL = timedelta(minutes=2)
RETRY_DELAY = timedelta(minutes=5)
# How far ahead of its slot a digest starts being built: enough for its reads (a deploys and an
# events listing per service in scope, two per service) at the background lane's share of the
# budget, with a margin; never more than MAX_LEAD (the claim is held until the slot is posted).
MIN_LEAD = timedelta(minutes=1)
MAX_LEAD = timedelta(minutes=20)
READS_PER_SERVICE = 2


def lead_time(services_in_scope: int, limits: BudgetLimits) -> timedelta:
    """How long before its slot a digest of that many services starts being built."""
    reads = READS_PER_SERVICE * services_in_scope
    windows = reads / limits.limit_for(Lane.BACKGROUND)
    needed = timedelta(seconds=windows * limits.period * 1.5)
    return min(MAX_LEAD, MIN_LEAD + needed)


class DeliveryOutcome(StrEnum):
    POSTED = "posted"
    RETRY = "retry"  # Slack answered that it did not post (rate limit, outage): try again later
    DISABLE = "disable"  # it never will (the channel is gone): turn the digest off


@dataclass(frozen=True)
class Delivery:
    outcome: DeliveryOutcome
    reason: str = ""


Poster = Callable[[Digest, DigestContent], Awaitable[Delivery]]


class DigestJob:
    """`bot.scheduler.DueJob` for digests."""

    kind = "digest"

    def __init__(
        self,
        services: Services,
        post: Poster,
        *,
        clock: WallClock = utc_now,
        grace: timedelta = GRACE,
        claim_ttl: timedelta = CLAIM_TTL,
        retry_delay: timedelta = RETRY_DELAY,
    ) -> None:
        if grace >= min(PERIODS.values()):
            raise ValueError("the grace period must be shorter than the shortest digest period")
        self.store = services.digests
        self._services = services
        settings = services.settings
        self._limits = BudgetLimits(settings.cortex_rate_limit, settings.cortex_rate_period)
        self._post = post
        self._clock = clock
        self._grace = grace
        self._claim_ttl = claim_ttl
        self._retry_delay = retry_delay
        self.holder = uuid.uuid4().hex

    async def claim_due(self, now: datetime, room: Room) -> Sequence[DueWork]:
        buildable = [
            digest
            for digest in await self.store.due(now + MAX_LEAD, room)
            if await self._time_to_build(digest, now)
        ]
        fitting = room.take(
            buildable,
            team_of=lambda digest: digest.team_id,
            channel_of=lambda digest: digest.channel_id,
        )
        claims = [claim for digest in fitting if (claim := await self._claim(digest, now))]
        return [_work(claim, partial(self.deliver, claim)) for claim in claims]

    async def _time_to_build(self, digest: Digest, now: datetime) -> bool:
        if digest.next_due_at <= now:
            return True
        previous = await self.store.snapshot(digest.id)
        size = len(previous) if previous else 0
        return digest.next_due_at - lead_time(size, self._limits) <= now

    async def _claim(self, digest: Digest, now: datetime) -> Claim | None:
        """The digest's next slot, or its latest one when late (earlier missed ones are covered by
        it), if this process won it and it is not too late to post."""
        slot = max(digest.next_due_at, digest.recurrence.latest_at(now))
        until = max(now, slot) + self._claim_ttl
        claim = await self.store.claim(digest, slot, self.holder, until, now)
        if claim is None or now - slot <= self._grace:
            return claim
        await self.store.complete(claim, SlotState.SKIPPED, now, Done())
        log.warning(
            "digest %s in %s: the slot of %s was missed by %s, more than the grace period of %s; "
            "skipped, the next digest covers the gap",
            digest.id,
            digest.channel_id,
            slot.isoformat(),
            now - slot,
            self._grace,
        )
        return None

    async def deliver(self, claim: Claim) -> None:
        """Build the digest, wait for its slot, then post it once, unless the claim was lost
        meanwhile."""
        content = await self._build(claim)
        if content is None:
            return
        early = (claim.slot - self._clock()).total_seconds()
        if early > 0:
            await asyncio.sleep(early)
        now = self._clock()
        if not await self.store.start_posting(claim, now, now + POST_TTL):
            log.warning(
                "digest %s: the claim on %s expired before posting", claim.digest.id, claim.slot
            )
            return
        try:
            delivery = await self._post(claim.digest, content)
        except Exception:
            # Whether Slack got it is unknown: never posted twice, so never retried.
            await self.store.complete(claim, SlotState.ABANDONED, self._clock(), Done())
            DIGEST_POSTS.labels(SlotState.ABANDONED).inc()
            raise
        if delivery.outcome is not DeliveryOutcome.POSTED:  # posts are counted where they are made
            DIGEST_POSTS.labels(delivery.outcome).inc()
        await self._record(claim, content, delivery)

    async def _build(self, claim: Claim) -> DigestContent | None:
        digest = claim.digest
        held_for = max(self._clock(), claim.slot) + self._claim_ttl - self._clock()
        try:
            async with asyncio.timeout(held_for.total_seconds() * 0.8):
                return await digest_content(self._services, digest.team_id, digest, self._clock())
        except NotConnectedError:
            log.warning(
                "digest %s: workspace %s is not connected to Cortex; slot skipped",
                digest.id,
                digest.team_id,
            )
            await self.store.complete(claim, SlotState.SKIPPED, self._clock(), Done())
        except Exception as error:
            log.warning(
                "digest %s could not be built (%s); retrying in %s",
                digest.id,
                error,
                self._retry_delay,
                exc_info=not isinstance(error, BotError | DecryptionError | TimeoutError),
            )
            await self.store.release(claim, self._clock() + self._retry_delay)
        return None

    async def _record(self, claim: Claim, content: DigestContent, delivery: Delivery) -> None:
        now = self._clock()
        digest = claim.digest
        if delivery.outcome is DeliveryOutcome.POSTED:
            done = Done(covered_until=content.window.end, snapshot=content.snapshot)
            await self.store.complete(claim, SlotState.POSTED, now, done)
        elif delivery.outcome is DeliveryOutcome.DISABLE:
            log.warning(
                "digest %s in %s turned off: %s", digest.id, digest.channel_id, delivery.reason
            )
            await self.store.complete(
                claim, SlotState.DISABLED, now, Done(disabled_reason=delivery.reason)
            )
        else:
            log.warning(
                "digest %s was not posted (%s); retrying in %s",
                digest.id,
                delivery.reason,
                self._retry_delay,
            )
            await self.store.release(claim, now + self._retry_delay)


def _work(claim: Claim, run: Callable[[], Awaitable[None]]) -> DueWork:
    digest = claim.digest
    label = f"digest {digest.id} {claim.slot:%Y-%m-%d %H:%M}"
    return DueWork(label, run, team_id=digest.team_id, channel_id=digest.channel_id)
