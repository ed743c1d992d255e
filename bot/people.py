"""Who a person named by Cortex or Rootly is in the chat workspace: member IDs by email.

On-call people and owners come as a name and an email; shown as a mention of the member with that
email they can be clicked (and, in a channel post, are notified). The chat side answers one email
per call, so answers are remembered per workspace for an hour, whether or not they found a member.
The emails come from Cortex and Rootly (not ours to bound), so the memory is bounded: per
workspace, over all workspaces, and in how many emails one answer looks up.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from cachetools import LRUCache, TTLCache

from bot.errors import UnavailableError

log = logging.getLogger(__name__)

MEMBER_TTL = 3600.0
EMAILS_PER_WORKSPACE = 2_000
WORKSPACES = 1_000
# At most this many emails not already known are looked up for one answer; the rest show by name
# (and are looked up by a later answer).
LOOKUPS_PER_ANSWER = 20
# How long an answer waits for the lookups (the chat side may hold them for its rate limit): those
# not answered by then show by name and are asked again next time.
PATIENCE_SECONDS = 2.0

# The member ID for an email, None when the workspace has no member with it; raises
# `UnavailableError` when the chat side could not say (that is not remembered).
MemberLookup = Callable[[str], Awaitable[str | None]]


def email_key(email: str | None) -> str:
    """An email as people are matched by it: Slack and Cortex compare emails case-blind."""
    return (email or "").strip().lower()


class MemberDirectory:
    def __init__(
        self,
        *,
        ttl: float = MEMBER_TTL,
        per_workspace: int = EMAILS_PER_WORKSPACE,
        workspaces: int = WORKSPACES,
        patience: float = PATIENCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._patience = patience
        self._per_workspace = per_workspace
        self._clock = clock
        self._workspaces: LRUCache[str, TTLCache[str, str | None]] = LRUCache(maxsize=workspaces)

    async def members(
        self, team_id: str, emails: Iterable[str | None], lookup: MemberLookup
    ) -> dict[str, str]:
        """Member IDs by (lowercased) email, for those of `emails` that are members."""
        keys = (email_key(email) for email in emails)
        wanted = list(dict.fromkeys(key for key in keys if key))
        known = self._known(team_id)
        unknown = [email for email in wanted if email not in known][:LOOKUPS_PER_ANSWER]
        asked = {email: asyncio.ensure_future(lookup(email)) for email in unknown}
        if asked:
            _, late = await asyncio.wait(asked.values(), timeout=self._patience)
            for task in late:
                task.cancel()
            if late:
                log.info("%d member lookups in %s were too late", len(late), team_id)
            for email, task in asked.items():
                if task not in late:
                    self._remember(known, team_id, email, task)
        return {email: member for email in wanted if (member := known.get(email))}

    @staticmethod
    def _remember(
        known: TTLCache[str, str | None], team_id: str, email: str, task: asyncio.Task[str | None]
    ) -> None:
        error = task.exception()
        if error is None:
            known[email] = task.result()
        elif isinstance(error, UnavailableError):
            log.info("the chat side could not say who has an email in %s: %s", team_id, error)
        else:
            # A mention is a nicety: a lookup failing in any other way (the network) costs the
            # mention, not the answer it is part of.
            log.warning("a member lookup failed in %s", team_id, exc_info=error)

    def _known(self, team_id: str) -> TTLCache[str, str | None]:
        known = self._workspaces.get(team_id)
        if known is None:
            known = TTLCache(maxsize=self._per_workspace, ttl=self._ttl, timer=self._clock)
            self._workspaces[team_id] = known
        return known
