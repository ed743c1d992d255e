"""Step 3 of a sync, the report: exact counts and the first changes, errors and conflicts.

Reports are stored (as JSON) and shown in Slack and the terminal, so the lists are cut to a
readable length while the counts stay exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.sync.apply import ChangeResult
from bot.sync.plan import Action, FieldDiff, SyncPlan

MAX_LISTED = 50
MAX_ERRORS = 20

# Who started a sync: a Slack user ID, or one of these.
BY_SCHEDULE = "schedule"
BY_CLI = "cli"


class Status(StrEnum):
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # some writes failed; the rest were made
    FAILED = "failed"  # stopped before writing (or lost its lease)
    INTERRUPTED = "interrupted"  # the process was stopped while it ran; running it again is safe


@dataclass(frozen=True)
class SyncProgress:
    """Where a running sync is; sent to the progress callback as it moves on."""

    stage: Literal["listing", "applying"]
    done: int = 0
    total: int = 0
    failed: int = 0
    # While the sync waits for an API's rate limit: which API, and until when.
    waiting_for: str | None = None
    waiting_until: datetime | None = None


class ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class Counts(ReportModel):
    created: int = 0
    updated: int = 0
    adopted: int = 0
    unchanged: int = 0
    conflicts: int = 0
    archived_upstream: int = 0
    failed: int = 0

    @property
    def written(self) -> int:
        return self.created + self.updated + self.adopted


class ChangeLine(ReportModel):
    action: Action
    tag: str
    name: str
    fields: tuple[str, ...] = ()
    # Before → after of each field an update or adoption changes.
    diffs: tuple[FieldDiff, ...] = ()
    error: str | None = None


class RunInfo(ReportModel):
    """What is known of a sync when it starts."""

    team_id: str
    triggered_by: str
    dry_run: bool
    started_at: datetime


class SyncReport(RunInfo):
    status: Status
    started_at: datetime
    finished_at: datetime
    counts: Counts = Counts()
    # The first changes (planned for a dry run, attempted otherwise), failed ones first.
    changes: tuple[ChangeLine, ...] = ()
    conflicts: tuple[str, ...] = ()
    archived_upstream: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    # What the sync left alone in a field it owns, and why (a Slack channel it cannot see...).
    notes: tuple[str, ...] = ()


_PHRASES = (
    ("created", "to create", "created"),
    ("updated", "to update", "updated"),
    ("adopted", "to adopt", "adopted"),
    ("unchanged", "unchanged", "unchanged"),
    ("conflicts", "in conflict", "in conflict"),
    ("archived_upstream", "archived upstream", "archived upstream"),
    ("failed", "failed", "failed"),
)


def count_phrases(report: SyncReport) -> list[str]:
    """The counts in words ("3 created", or "3 to create" for a dry run), zeros left out."""
    counts = report.counts.model_dump()
    return [
        f"{counts[field]} {planned if report.dry_run else done}"
        for field, planned, done in _PHRASES
        if counts[field]
    ]


def _line(outcome: ChangeResult) -> ChangeLine:
    change = outcome.change
    return ChangeLine(
        action=change.action,
        tag=change.tag,
        name=change.attributes.name,
        fields=change.fields,
        diffs=change.diffs,
        error=outcome.error,
    )


def _counts(plan: SyncPlan, outcomes: Sequence[ChangeResult]) -> Counts:
    made = [outcome.change.action for outcome in outcomes if outcome.error is None]
    return Counts(
        created=made.count(Action.CREATE),
        updated=made.count(Action.UPDATE),
        adopted=made.count(Action.ADOPT),
        unchanged=plan.unchanged,
        conflicts=len(plan.conflicts),
        archived_upstream=len(plan.archived_upstream),
        failed=len(outcomes) - len(made),
    )


def build_report(
    run: RunInfo,
    plan: SyncPlan,
    outcomes: Sequence[ChangeResult] | None,
    finished_at: datetime,
    problems: Sequence[str] = (),
) -> SyncReport:
    """The report of a finished sync; a dry run passes no outcomes and reports the plan.
    `problems` are failures beside the services' own (reading paging ids, creating teams)."""
    attempted = [ChangeResult(change) for change in plan.changes] if outcomes is None else outcomes
    failed_first = sorted(attempted, key=lambda outcome: outcome.error is None)
    errors = [*problems]
    errors += [
        f"{outcome.change.tag}: {outcome.error}" for outcome in failed_first if outcome.error
    ]
    conflicts = [f"{conflict.tag}: {conflict.reason}" for conflict in plan.conflicts]
    return SyncReport(
        **dict(run),
        status=Status.PARTIAL if errors else Status.SUCCEEDED,
        finished_at=finished_at,
        counts=_counts(plan, attempted),
        changes=tuple(_line(outcome) for outcome in failed_first[:MAX_LISTED]),
        conflicts=tuple(conflicts[:MAX_LISTED]),
        archived_upstream=plan.archived_upstream[:MAX_LISTED],
        errors=tuple(errors[:MAX_ERRORS]),
        notes=plan.notes[:MAX_LISTED],
    )


def interrupted_report(run: RunInfo, finished_at: datetime) -> SyncReport:
    """The report of a sync its process was stopped in the middle of (a shutdown)."""
    return SyncReport(**dict(run), status=Status.INTERRUPTED, finished_at=finished_at)


def failed_report(run: RunInfo, error: BaseException, finished_at: datetime) -> SyncReport:
    """The report of a sync that stopped early; errors never hold a key (see bot.http)."""
    return SyncReport(
        **dict(run), status=Status.FAILED, finished_at=finished_at, errors=(str(error),)
    )
