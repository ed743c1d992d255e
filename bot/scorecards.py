"""Scorecards, read for people: one service across its scorecards, one scorecard across services.

`summarize` boils a scorecard's full listing (thousands of services, each with every rule's
outcome) down to what an answer shows: how many services hold each level, and the worst of those
that fail a rule. `service_scorecards` gathers, for one service, each scorecard's level and score,
the rules it fails (with the scorecard's own words for them) and the steps to the next level.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from bot.cortex.models import (
    EntityDetails,
    NextStep,
    Rule,
    RuleOutcome,
    Scorecard,
    ScorecardScore,
    ScorecardScores,
    ServiceScore,
)
from bot.errors import CallError

if TYPE_CHECKING:
    from bot.cache import Cached
    from bot.catalog import Catalog

T = TypeVar("T")

# How many of a scorecard's failing services an answer names, worst first.
WORST_SHOWN = 20
# How many of one service's scorecards are read in detail (two Cortex requests each), worst first.
DETAILED_SCORECARDS = 10


@dataclass(frozen=True)
class Standing:
    """Where one service stands on one scorecard."""

    tag: str
    name: str
    level: str | None
    percentage: float
    failed_rules: int


@dataclass(frozen=True)
class ScorecardSummary:
    scorecard: Scorecard
    scorecard_id: int  # what the scorecard's page in the Cortex app is addressed by
    services: int
    # Services per level, best level first; services below every level are counted under None.
    per_level: tuple[tuple[str | None, int], ...]
    failing: int  # services failing at least one rule
    worst: tuple[Standing, ...]  # the worst of those, worst first, at most WORST_SHOWN


def summarize(
    scorecard: Scorecard, scores: ScorecardScores, shown: int = WORST_SHOWN
) -> ScorecardSummary:
    ladder = [level.name for level in scorecard.ladder]
    standings = [_standing(score) for score in scores.service_scores]
    counts = Counter(standing.level for standing in standings)
    per_level: list[tuple[str | None, int]] = [(name, counts[name]) for name in ladder]
    per_level += [(name, count) for name, count in counts.items() if name not in ladder]
    failing = [standing for standing in standings if standing.failed_rules]

    def badness(standing: Standing) -> tuple[int, float, str]:
        # A level the ladder does not list (or no level at all) ranks below the lowest one.
        rank = ladder.index(standing.level) if standing.level in ladder else len(ladder)
        return (-rank, standing.percentage, standing.name.lower())

    return ScorecardSummary(
        scorecard=scorecard,
        scorecard_id=scores.scorecard_id,
        services=len(standings),
        per_level=tuple(per_level),
        failing=len(failing),
        worst=tuple(heapq.nsmallest(shown, failing, key=badness)),
    )


def _standing(score: ServiceScore) -> Standing:
    level = score.score.current_level
    return Standing(
        tag=score.service.tag,
        name=score.service.name,
        level=level.name if level else None,
        percentage=score.score.summary.percentage,
        failed_rules=len(score.failed_rules),
    )


@dataclass(frozen=True)
class ScorecardDetail:
    """One service on one scorecard: its level and score, what it fails, what comes next."""

    score: ScorecardScore
    # The scorecard's definition, when the listing of scorecards names it.
    scorecard: Scorecard | None = None
    failed_rules: tuple[Rule, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    # What could not be read about this scorecard (rules, next steps), for a note.
    problems: tuple[CallError, ...] = ()
    # Why some of it is older cached data (Cortex failed, or the budget was busy); None: none is.
    stale_because: CallError | None = None


@dataclass(frozen=True)
class ServiceScorecards:
    entity: EntityDetails
    details: tuple[ScorecardDetail, ...]  # worst score first
    # Scorecards past DETAILED_SCORECARDS: their level and score only.
    more: tuple[ScorecardScore, ...] = ()
    # What could not be read at all (the scorecards' definitions), for a note.
    problems: tuple[CallError, ...] = ()
    # Why some of it is older cached data (Cortex failed, or the budget was busy); None: none is.
    stale_because: CallError | None = None


async def service_scorecards(catalog: Catalog, tag: str) -> ServiceScorecards:
    """Everything `/cortex scores` shows; raises only when the service's scores cannot be read."""
    definitions = _attempt(catalog.scorecards())
    entity, scores, scorecards = await asyncio.gather(
        catalog.entity(tag), catalog.scores(tag), definitions
    )
    known = [] if isinstance(scorecards, CallError) else scorecards.value
    ranked = sorted(scores.value, key=lambda score: (score.score_percentage, score.scorecard_name))
    details = await asyncio.gather(
        *(_detail(catalog, tag, score, known) for score in ranked[:DETAILED_SCORECARDS])
    )
    return ServiceScorecards(
        entity=entity.value,
        details=tuple(details),
        more=tuple(ranked[DETAILED_SCORECARDS:]),
        problems=(scorecards,) if isinstance(scorecards, CallError) else (),
        stale_because=_because(entity, scores, scorecards)
        or next((detail.stale_because for detail in details if detail.stale_because), None),
    )


async def _detail(
    catalog: Catalog, tag: str, score: ScorecardScore, scorecards: Sequence[Scorecard]
) -> ScorecardDetail:
    # The service's own listing names its scorecards but gives no tag: the definitions' names do.
    for scorecard in (card for card in scorecards if card.name == score.scorecard_name):
        rules = _attempt(catalog.service_score(scorecard.tag, tag))
        steps_read = _attempt(catalog.next_steps(scorecard.tag, tag))
        outcome, steps = await asyncio.gather(rules, steps_read)
        failed: tuple[RuleOutcome, ...] = ()
        if not isinstance(outcome, CallError):
            if outcome.value is None:
                continue  # a namesake scorecard that does not cover this service
            failed = outcome.value.failed_rules
        return ScorecardDetail(
            score,
            scorecard,
            failed_rules=tuple(_described(scorecard, rule) for rule in failed),
            next_steps=() if isinstance(steps, CallError) else steps.value.next_steps,
            problems=tuple(part for part in (outcome, steps) if isinstance(part, CallError)),
            stale_because=_because(outcome, steps),
        )
    return ScorecardDetail(score)


def _described(scorecard: Scorecard, outcome: RuleOutcome) -> Rule:
    """The scorecard's definition of a failed rule (title, description), or what the outcome
    itself says when the definition does not name it."""
    return scorecard.rule(outcome.identifier) or Rule(
        expression=outcome.expression, identifier=outcome.identifier
    )


def _because(*reads: Cached[Any] | CallError) -> CallError | None:
    """Why the first of these reads that is older cached data is so; None when none is."""
    older = (read.because for read in reads if not isinstance(read, CallError) and read.because)
    return next(older, None)


async def _attempt(read: Awaitable[Cached[T]]) -> Cached[T] | CallError:
    """A read, or what stopped it (Cortex failing, the budget busy): a part becomes a note."""
    try:
        return await read
    except CallError as error:
        return error
