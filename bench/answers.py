"""What a benchmark's answer was: full, with missing parts or older cached data, or which error.
`bench.budget` classifies the service snapshots and errors it gets from the core; `bench.load` and
`bench.scorecard` classify what the fake Slack received at the response URL, as a person reads it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from bot.errors import BotError, BudgetBusyError, RateLimitedError, UnavailableError
from bot.snapshot import ServiceSnapshot


class Kind(StrEnum):
    FULL = "full"
    PARTIAL = "missing parts"
    OLDER = "older data"  # every part shown, some from the cache past its freshness
    BUSY = "busy"  # our own budget for the key: Cortex was not asked
    RATE_LIMITED = "rate limited"  # Cortex's 429s outlasted the deadline
    NOT_ANSWERING = "not answering"
    ERROR = "other error"
    NONE = "no answer"  # nothing reached the response URL


# An answer's warning note (`handlers/lookup/blocks.py`, `handlers/scorecards/blocks.py`): older
# cached data first, then the parts that could not be read.
WARNING = ":warning: "
OLDER_DATA = "older cached data"
# The error sentences (`handlers/common/errors.py`) by what tells them apart.
SENTENCES = {
    "budget is busy": Kind.BUSY,
    "is rate limiting this workspace": Kind.RATE_LIMITED,
    "is not answering": Kind.NOT_ANSWERING,
}


def of_snapshot(snapshot: ServiceSnapshot) -> Kind:
    if snapshot.problems:
        return Kind.PARTIAL
    return Kind.OLDER if snapshot.stale_because is not None else Kind.FULL


def of_error(error: BotError) -> Kind:
    match error:
        case BudgetBusyError():
            return Kind.BUSY
        case RateLimitedError():
            return Kind.RATE_LIMITED
        case UnavailableError():
            return Kind.NOT_ANSWERING
        case _:
            return Kind.ERROR


def of_message(message: Mapping[str, Any] | None) -> Kind:
    """A response URL's payload (None: none arrived). An answer (a service card, a scorecard)
    starts with a header block; an error is one sentence."""
    if message is None:
        return Kind.NONE
    blocks: list[dict[str, Any]] = message.get("blocks") or []
    if any(block["type"] == "header" for block in blocks):
        return _answer(blocks)
    text = str(message.get("text", ""))
    return next((kind for phrase, kind in SENTENCES.items() if phrase in text), Kind.ERROR)


def _answer(blocks: list[dict[str, Any]]) -> Kind:
    notes = [
        element["text"].removeprefix(WARNING)
        for block in blocks
        if block["type"] == "context"
        for element in block["elements"]
        if element.get("text", "").startswith(WARNING)
    ]
    if not notes:
        return Kind.FULL
    _cause, said, missing = notes[0].partition(OLDER_DATA)
    if not said:
        return Kind.PARTIAL
    return Kind.PARTIAL if missing.strip("; .") else Kind.OLDER


def tally(kinds: Iterable[Kind]) -> str:
    """The kinds seen, in the order above: "480 full, 20 missing parts"."""
    counts = Counter(kinds)
    return ", ".join(f"{counts[kind]} {kind}" for kind in Kind if counts[kind])
