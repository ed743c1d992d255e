"""Resolve what a person types (a tag, a name, a typo) against the catalog.

Pure functions over anything with a tag and a name (services, scorecards), so they are cheap to
test and reuse: the service card's and the scorecards' "did you mean", search and the typeahead
pickers all rank with the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from rapidfuzz import fuzz, process, utils

from bot.cortex.models import Entity

# How much a typed text must resemble a tag or name (0 to 100, see `resemblance`) to be offered:
# "paymnts" → Payments API (93), "ledgr" → Ledger (91); "events" → Payments API (57) is not.
SUGGESTION_CUTOFF = 75.0
# The rough first pass (rapidfuzz's WRatio, fast over thousands) keeps this many candidates above
# this score for `resemblance` to judge: WRatio alone scores any text 86 against a one-letter name.
ROUGH_CANDIDATES = 200
ROUGH_CUTOFF = 50.0
SUGGESTIONS = 5


class Named(Protocol):
    @property
    def tag(self) -> str: ...

    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=Named)


@dataclass(frozen=True)
class FindResult(Generic[NamedT]):
    """Either the one item meant, or the closest candidates to offer instead."""

    match: NamedT | None
    suggestions: tuple[NamedT, ...] = field(default=())


@dataclass(frozen=True)
class Found(Generic[NamedT]):
    """Every item a search matched, best first; when none did, the closest ones to offer."""

    matches: tuple[NamedT, ...]
    suggestions: tuple[NamedT, ...] = field(default=())


def find_named(text: str, items: Sequence[NamedT], limit: int = SUGGESTIONS) -> FindResult[NamedT]:
    """Exact tag, then exact name (when unique), then the closest matches as suggestions."""
    wanted = text.strip().lower()
    if not wanted:
        return FindResult(match=None)
    for item in items:
        if item.tag.lower() == wanted:
            return FindResult(match=item)
    same_name = [item for item in items if item.name.lower() == wanted]
    if len(same_name) == 1:
        return FindResult(match=same_name[0])
    return FindResult(match=None, suggestions=tuple(closest(text, items, limit)))


def closest(
    text: str, items: Sequence[NamedT], limit: int, cutoff: float = SUGGESTION_CUTOFF
) -> list[NamedT]:
    """Items whose tag or name resemble `text` at least `cutoff`, best first; none rather than
    an unrelated one."""
    wanted = utils.default_process(text)
    if not wanted:
        return []
    rough = process.extract(
        wanted,
        [f"{item.tag} {item.name}" for item in items],
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=ROUGH_CANDIDATES,
        score_cutoff=ROUGH_CUTOFF,
    )
    scored = [(resemblance(wanted, items[index]), index) for _choice, _score, index in rough]
    ranked = sorted((-score, index) for score, index in scored if score >= cutoff)
    return [items[index] for _score, index in ranked[:limit]]


def resemblance(wanted: str, item: Named) -> float:
    """How much `wanted` (lower-cased, words split on punctuation) looks like the item, 0 to 100:
    like its whole tag or name, or word by word (each word typed against the item's closest word,
    on average), so that a typo in one word of a name counts and a shared letter does not."""
    tag, name = utils.default_process(item.tag), utils.default_process(item.name)
    whole = max(fuzz.ratio(wanted, tag), fuzz.ratio(wanted, name))
    theirs = {*tag.split(), *name.split()}
    if not theirs:
        return whole
    typed = wanted.split()
    by_word = sum(max(fuzz.ratio(word, their) for their in theirs) for word in typed) / len(typed)
    return max(whole, by_word)


def rank_for_typeahead(text: str, items: Sequence[NamedT], limit: int) -> list[NamedT]:
    """Options for a picker: prefix matches, then substring matches, then fuzzy ones."""
    wanted = text.strip().lower()
    if not wanted:
        return sorted(items, key=lambda item: item.name.lower())[:limit]
    return _then_closest(text, _by_tag_or_name(wanted, items), items, limit)


def search(text: str, entities: Sequence[Entity]) -> Found[Entity]:
    """Cortex's kind of search: tag and name matches of the whole text first (ranked as in the
    pickers), then the tags or names holding every word in another order, then the services
    whose description, owners or groups hold every word; all of them, so a page can say how many
    there are. Only when nothing matches are the closest services offered instead."""
    wanted = text.strip().lower()
    if not wanted:
        return Found(())
    named = _by_tag_or_name(wanted, entities)
    taken = {entity.tag for entity in named}
    words = wanted.split()
    named_by_words: list[Entity] = []
    described: list[Entity] = []
    for entity in entities:
        if entity.tag in taken:
            continue
        if _tag_or_name_holds(words, entity):
            named_by_words.append(entity)
        elif all(word in _searchable(entity) for word in words):
            described.append(entity)
    if named or named_by_words or described:
        return Found((*named, *named_by_words, *described))
    return Found((), tuple(closest(text, entities, SUGGESTIONS)))


def _by_tag_or_name(wanted: str, items: Sequence[NamedT]) -> list[NamedT]:
    """Tags or names that start with `wanted` (shortest tag first), then those that hold it."""
    prefix, inside = [], []
    for item in items:
        tag, name = item.tag.lower(), item.name.lower()
        if tag.startswith(wanted) or name.startswith(wanted):
            prefix.append(item)
        elif wanted in tag or wanted in name:
            inside.append(item)
    return sorted(prefix, key=lambda item: len(item.tag)) + inside


def _then_closest(
    text: str, ranked: list[NamedT], items: Sequence[NamedT], limit: int
) -> list[NamedT]:
    if len(ranked) < limit:
        taken = {item.tag for item in ranked}
        rest = [item for item in items if item.tag not in taken]
        ranked = ranked + closest(text, rest, limit - len(ranked))
    return ranked[:limit]


def _tag_or_name_holds(words: Sequence[str], item: Named) -> bool:
    """Whether the tag, or the name, holds every word (lower-cased), in any order."""
    return any(
        all(word in text for word in words) for text in (item.tag.lower(), item.name.lower())
    )


def _searchable(entity: Entity) -> str:
    """Everything about a service a search word may be found in, lower-cased."""
    owners = entity.owners
    return " ".join(
        (
            entity.tag,
            entity.name,
            entity.description or "",
            *entity.groups,
            *(f"{team.tag} {team.name}" for team in owners.teams),
            *(person.email for person in owners.individuals),
        )
    ).lower()
