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
# At most this many emails are looked up for one answer; the rest show by name.
LOOKUPS_PER_ANSWER = 20

# The member ID for an email, None when the workspace has no member with it; raises
# `UnavailableError` when the chat side could not say (that is not remembered).
MemberLookup = Callable[[str], Awaitable[str | None]]


class MemberDirectory:
    def __init__(
        self,
        *,
        ttl: float = MEMBER_TTL,
        per_workspace: int = EMAILS_PER_WORKSPACE,
        workspaces: int = WORKSPACES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl
        self._per_workspace = per_workspace
        self._clock = clock
        self._workspaces: LRUCache[str, TTLCache[str, str | None]] = LRUCache(maxsize=workspaces)

    async def members(
        self, team_id: str, emails: Iterable[str | None], lookup: MemberLookup
    ) -> dict[str, str]:
        """Member IDs by (lowercased) email, for those of `emails` that are members."""
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
        wanted = wanted[:LOOKUPS_PER_ANSWER]
        known = self._known(team_id)
        missing = [email for email in wanted if email not in known]
        found = await asyncio.gather(*(lookup(email) for email in missing), return_exceptions=True)
        for email, member in zip(missing, found, strict=True):
            if isinstance(member, UnavailableError):
                log.info("no member found for an email in %s: %s", team_id, member)
            elif isinstance(member, BaseException):
                raise member
            else:
                known[email] = member
        return {email: member for email in wanted if (member := known.get(email))}

    def _known(self, team_id: str) -> TTLCache[str, str | None]:
        known = self._workspaces.get(team_id)
        if known is None:
            known = TTLCache(maxsize=self._per_workspace, ttl=self._ttl, timer=self._clock)
            self._workspaces[team_id] = known
        return known
