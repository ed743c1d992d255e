"""Each workspace's sync results, newest first, for `/cortex sync status`, App Home and digests."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import sync_runs
from bot.sync.report import SyncReport

# Older runs of a workspace are dropped, so hourly syncs do not grow the table for ever.
KEPT_PER_WORKSPACE = 50
DRY_RUN, APPLIED = "dry-run", "sync"


class SyncRuns:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def save(self, report: SyncReport) -> None:
        team = sync_runs.c.team_id == report.team_id
        kept = (
            select(sync_runs.c.id)
            .where(team)
            .order_by(sync_runs.c.finished_at.desc())
            .limit(KEPT_PER_WORKSPACE)
        )
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(sync_runs).values(
                    id=uuid.uuid4().hex,
                    team_id=report.team_id,
                    triggered_by=report.triggered_by,
                    mode=DRY_RUN if report.dry_run else APPLIED,
                    status=report.status.value,
                    started_at=report.started_at,
                    finished_at=report.finished_at,
                    report=report.stored().model_dump_json(),
                )
            )
            await connection.execute(delete(sync_runs).where(team, sync_runs.c.id.not_in(kept)))

    async def latest(self, team_id: str, *, dry_run: bool = False) -> SyncReport | None:
        """The last sync of the workspace (by default a real one, not a dry run)."""
        async with self._engine.connect() as connection:
            stored = await connection.scalar(
                select(sync_runs.c.report)
                .where(
                    sync_runs.c.team_id == team_id,
                    sync_runs.c.mode == (DRY_RUN if dry_run else APPLIED),
                )
                .order_by(sync_runs.c.finished_at.desc())
                .limit(1)
            )
        return None if stored is None else SyncReport.model_validate_json(stored)
