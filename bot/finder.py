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

SUGGESTION_CUTOFF = 60.0
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
    """Items whose tag or name resemble `text`, best first."""
    choices = [f"{item.tag} {item.name}" for item in items]
    ranked = process.extract(
        text,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [items[index] for _choice, _score, index in ranked]


def rank_for_typeahead(text: str, items: Sequence[NamedT], limit: int) -> list[NamedT]:
    """Options for a picker: prefix matches, then substring matches, then fuzzy ones."""
    wanted = text.strip().lower()
    if not wanted:
        return sorted(items, key=lambda item: item.name.lower())[:limit]
    return _then_closest(text, _by_tag_or_name(wanted, items), items, limit)


def search(text: str, entities: Sequence[Entity], limit: int) -> list[Entity]:
    """Cortex's kind of search: tag and name matches first (ranked as in the pickers), then the
    services whose description, owners or groups hold every word, then fuzzy matches."""
    wanted = text.strip().lower()
    if not wanted:
        return []
    named = _by_tag_or_name(wanted, entities)
    taken = {entity.tag for entity in named}
    words = wanted.split()
    described = [
        entity
        for entity in entities
        if entity.tag not in taken and all(word in _searchable(entity) for word in words)
    ]
    return _then_closest(text, named + described, entities, limit)


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
