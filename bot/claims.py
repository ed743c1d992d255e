"""Claims on requests that write to Cortex: a Slack retry or a double click records only once.

A claim is keyed on what identifies the request (the trigger or view it came from) and on what it
would record, so a retried request is recognised by its content, not by Slack's retry header. The
claim is a row with a unique key: across processes, only one insert wins.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import request_claims

KEEP_CLAIMS_FOR = timedelta(days=1)


def claim_key(team_id: str, parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\x1f".join((team_id, *parts)).encode()).hexdigest()


class RequestClaims:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, team_id: str, *parts: str) -> bool:
        """True for the first request with these parts; False for any repeat of it."""
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as connection:
                await connection.execute(
                    delete(request_claims).where(
                        request_claims.c.claimed_at < now - KEEP_CLAIMS_FOR
                    )
                )
                await connection.execute(
                    insert(request_claims).values(
                        claim_key=claim_key(team_id, parts), team_id=team_id, claimed_at=now
                    )
                )
        except IntegrityError:
            return False
        return True

    async def release(self, team_id: str, *parts: str) -> None:
        """Forget a claim whose work was refused, so that asking again is not a repeat."""
        async with self._engine.begin() as connection:
            await connection.execute(
                delete(request_claims).where(
                    request_claims.c.claim_key == claim_key(team_id, parts)
                )
            )
