"""The arguments of `/cortex scores` and `/cortex scorecard`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.common.lexer import Word, joined_words


@dataclass(frozen=True)
class Scores:
    """One service across its scorecards, by its tag or name."""

    query: str


@dataclass(frozen=True)
class ScorecardQuery:
    """One scorecard across its services, by its tag or name."""

    query: str


def parse_scores(arguments: Sequence[Word]) -> Scores:
    return Scores(joined_words("scores", arguments, "`scores` needs a service tag or name."))


def parse_scorecard(arguments: Sequence[Word]) -> ScorecardQuery:
    missing = "`scorecard` needs a scorecard's name or tag."
    return ScorecardQuery(joined_words("scorecard", arguments, missing))
