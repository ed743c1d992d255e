"""Resolve what a person types (a tag, a name, a typo) against the catalog.

Pure functions over a list of entities, so they are cheap to test and reuse: the service card's
"did you mean", search and the typeahead pickers all rank with the same rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from bot.cortex.models import Entity

SUGGESTION_CUTOFF = 60.0
SUGGESTIONS = 5


@dataclass(frozen=True)
class FindResult:
    """Either the one entity meant, or the closest candidates to offer instead."""

    match: Entity | None
    suggestions: tuple[Entity, ...] = field(default=())


def find_service(text: str, entities: Sequence[Entity], limit: int = SUGGESTIONS) -> FindResult:
    """Exact tag, then exact name (when unique), then the closest matches as suggestions."""
    wanted = text.strip().lower()
    if not wanted:
        return FindResult(match=None)
    for entity in entities:
        if entity.tag.lower() == wanted:
            return FindResult(match=entity)
    same_name = [entity for entity in entities if entity.name.lower() == wanted]
    if len(same_name) == 1:
        return FindResult(match=same_name[0])
    return FindResult(match=None, suggestions=tuple(closest(text, entities, limit)))


def closest(
    text: str, entities: Sequence[Entity], limit: int, cutoff: float = SUGGESTION_CUTOFF
) -> list[Entity]:
    """Entities whose tag or name resemble `text`, best first."""
    choices = [f"{entity.tag} {entity.name}" for entity in entities]
    ranked = process.extract(
        text,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [entities[index] for _choice, _score, index in ranked]


def rank_for_typeahead(text: str, entities: Sequence[Entity], limit: int) -> list[Entity]:
    """Options for a picker: prefix matches, then substring matches, then fuzzy ones."""
    wanted = text.strip().lower()
    if not wanted:
        return sorted(entities, key=lambda entity: entity.name.lower())[:limit]
    prefix, inside = [], []
    for entity in entities:
        tag, name = entity.tag.lower(), entity.name.lower()
        if tag.startswith(wanted) or name.startswith(wanted):
            prefix.append(entity)
        elif wanted in tag or wanted in name:
            inside.append(entity)
    ranked = sorted(prefix, key=lambda entity: len(entity.tag)) + inside
    if len(ranked) < limit:
        taken = {entity.tag for entity in ranked}
        rest = [entity for entity in entities if entity.tag not in taken]
        ranked += closest(text, rest, limit - len(ranked))
    return ranked[:limit]
