"""Step 3 of a sync, the report: exact counts, and every change, error and conflict.

A report lists everything, what needs a person first (failed writes, adoptions, updates, then
plain creates), for Slack's messages and the full plan (`plan_text`); the stored copy keeps the
first of each list (`stored`), while the counts stay exact.
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
    # The changes (planned for a dry run, attempted otherwise): failed, adopt, update, create.
    changes: tuple[ChangeLine, ...] = ()
    conflicts: tuple[str, ...] = ()
    archived_upstream: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    # What the sync left alone in a field it owns, and why (a Slack channel it cannot see...).
    notes: tuple[str, ...] = ()

    def stored(self) -> SyncReport:
        """The copy kept in the database: the first of each list (status and digests read it)."""
        return self.model_copy(
            update={
                "changes": self.changes[:MAX_LISTED],
                "conflicts": self.conflicts[:MAX_LISTED],
                "archived_upstream": self.archived_upstream[:MAX_LISTED],
                "errors": self.errors[:MAX_ERRORS],
                "notes": self.notes[:MAX_LISTED],
            }
        )


_PHRASES = (
    ("created", "to create", "created"),
    ("updated", "to update", "updated"),
    ("adopted", "to adopt", "adopted"),
    ("unchanged", "unchanged", "unchanged"),
    ("conflicts", "in conflict", "in conflict"),
    ("archived_upstream", "archived in Cortex", "archived in Cortex"),
    ("failed", "failed", "failed"),
)


def count_phrases(report: SyncReport) -> list[str]:
    """The counts in words ("3 created", or "3 to create" for a dry run), zeros left out."""
    counts = report.counts.model_dump()
    return [
        f"{counts[field]:,} {planned if report.dry_run else done}"
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


# Which changes a person should read first: an adoption takes over a service made by hand, an
# update overwrites what Rootly has; a create only adds.
_ATTENTION = (Action.ADOPT, Action.UPDATE, Action.CREATE)


def _attention(outcome: ChangeResult) -> tuple[bool, int]:
    return outcome.error is None, _ATTENTION.index(outcome.change.action)


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
    needs_eyes_first = sorted(attempted, key=_attention)
    errors = [*problems]
    errors += [
        f"{outcome.change.tag}: {outcome.error}" for outcome in needs_eyes_first if outcome.error
    ]
    conflicts = [f"{conflict.tag}: {conflict.reason}" for conflict in plan.conflicts]
    return SyncReport(
        **dict(run),
        status=Status.PARTIAL if errors else Status.SUCCEEDED,
        finished_at=finished_at,
        counts=_counts(plan, attempted),
        changes=tuple(_line(outcome) for outcome in needs_eyes_first),
        conflicts=tuple(conflicts),
        archived_upstream=plan.archived_upstream,
        errors=tuple(errors),
        notes=plan.notes,
    )


def interrupted_report(run: RunInfo, finished_at: datetime) -> SyncReport:
    """The report of a sync its process was stopped in the middle of (a shutdown)."""
    return SyncReport(**dict(run), status=Status.INTERRUPTED, finished_at=finished_at)


def failed_report(run: RunInfo, error: BaseException, finished_at: datetime) -> SyncReport:
    """The report of a sync that stopped early; errors never hold a key (see bot.http)."""
    return SyncReport(
        **dict(run), status=Status.FAILED, finished_at=finished_at, errors=(str(error),)
    )


# The words a person may not know, said once wherever they show (Slack's messages, the full plan).
_ADOPTED = (
    "Adopted: a Rootly service made by hand, with the same name as a Cortex service, that the "
    "sync now keeps in step with it."
)
_ARCHIVED = (
    "Archived in Cortex: the service is no longer in Cortex's catalog; the sync leaves it in "
    "Rootly as it is (it never deletes)."
)


# Rootly's attributes in the words its screens use, for the before → after of an update.
_FIELD_WORDS = {
    "cortex_id": "Cortex ID",
    "external_id": "external ID",
    "owner_group_ids": "owners",
    "github_repository_name": "GitHub repository",
    "gitlab_repository_name": "GitLab repository",
    "pagerduty_id": "PagerDuty service",
    "opsgenie_id": "Opsgenie service",
    "slack_channels": "Slack channels",
}


def field_words(diff: FieldDiff) -> str:
    return _FIELD_WORDS.get(diff.attribute, diff.attribute)


_GROUP_TITLES = {
    Action.ADOPT: ("To adopt", "Adopted"),
    Action.UPDATE: ("To update", "Updated"),
    Action.CREATE: ("To create", "Created"),
}


@dataclass(frozen=True)
class ChangeGroup:
    """The changes of one kind, titled for a dry run ("To update") or a sync ("Updated"); a write
    that failed is not among them (it is in the errors, with its reason)."""

    action: Action
    title: str
    changes: tuple[ChangeLine, ...]


def change_groups(report: SyncReport) -> list[ChangeGroup]:
    """The report's changes by kind, in the order a person should read them (empty ones left
    out)."""
    groups = []
    for action in _ATTENTION:
        changes = tuple(
            line for line in report.changes if line.action is action and line.error is None
        )
        planned, done = _GROUP_TITLES[action]
        if changes:
            groups.append(ChangeGroup(action, planned if report.dry_run else done, changes))
    return groups


def legend(report: SyncReport) -> list[str]:
    """What "adopted" and "archived in Cortex" mean, for a report that says either."""
    counts = report.counts
    return [
        entry
        for shown, entry in ((counts.adopted, _ADOPTED), (counts.archived_upstream, _ARCHIVED))
        if shown
    ]


def plan_text(report: SyncReport) -> str:
    """The whole report as plain text, every change with its before → after: what the CLI prints
    and the file Slack gets when a message cannot list everything."""
    kind = "Dry run" if report.dry_run else "Sync"
    counts = ", ".join(count_phrases(report)) or "nothing to do"
    lines = [f"{kind} of workspace {report.team_id}: {counts}."]
    lines += _text_list("Errors", report.errors)
    lines += _text_list("Conflicts, not written", report.conflicts)
    lines += _text_list("Archived in Cortex, left in Rootly", report.archived_upstream)
    for group in change_groups(report):
        lines += ["", f"{group.title} ({len(group.changes):,})"]
        for line in group.changes:
            lines.append(f"  {line.tag}  {line.name}")
            lines += [f"      {field_words(diff)}: {_before_after(diff)}" for diff in line.diffs]
    lines += _text_list("Left as Rootly has them", report.notes)
    if legend(report):
        lines += ["", *legend(report)]
    return "\n".join(lines)


def _text_list(title: str, items: Sequence[str]) -> list[str]:
    return ["", f"{title} ({len(items):,})", *(f"  {item}" for item in items)] if items else []


def _before_after(diff: FieldDiff) -> str:
    return f"{diff.before or '(empty)'} → {diff.after or '(empty)'}"
