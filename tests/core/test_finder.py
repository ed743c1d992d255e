"""What a person types, resolved against the catalog."""

from __future__ import annotations

from bot.cortex.models import Entity
from bot.finder import find_named, rank_for_typeahead

CATALOG = [
    Entity(tag="payments-api", name="Payments API"),
    Entity(tag="payments-worker", name="Payments Worker"),
    Entity(tag="search", name="Search"),
    Entity(tag="auth", name="Identity"),
    Entity(tag="ledger", name="Ledger"),
    Entity(tag="dup-a", name="Gateway"),
    Entity(tag="dup-b", name="Gateway"),
]


def tags(entities: object) -> list[str]:
    return [entity.tag for entity in entities]  # type: ignore[attr-defined]


def test_exact_tag_wins_case_insensitively() -> None:
    result = find_named("AUTH", CATALOG)

    assert result.match is not None
    assert result.match.tag == "auth"


def test_exact_name_when_unique() -> None:
    result = find_named("identity", CATALOG)

    assert result.match is not None
    assert result.match.tag == "auth"


def test_a_shared_name_is_not_guessed() -> None:
    result = find_named("Gateway", CATALOG)

    assert result.match is None
    assert set(tags(result.suggestions[:2])) == {"dup-a", "dup-b"}


def test_a_typo_gets_the_closest_suggestions_first() -> None:
    result = find_named("paymnts-api", CATALOG)

    assert result.match is None
    assert tags(result.suggestions)[0] == "payments-api"


def test_nonsense_gets_no_suggestions() -> None:
    assert find_named("zzzzqqqq", CATALOG).suggestions == ()


def test_empty_text_matches_nothing() -> None:
    assert find_named("   ", CATALOG).match is None


def test_typeahead_puts_prefix_matches_first_and_respects_the_limit() -> None:
    assert tags(rank_for_typeahead("pay", CATALOG, limit=2)) == ["payments-api", "payments-worker"]
    assert tags(rank_for_typeahead("ledg", CATALOG, limit=100))[0] == "ledger"
    assert tags(rank_for_typeahead("worker", CATALOG, limit=100))[0] == "payments-worker"


def test_typeahead_without_text_lists_by_name() -> None:
    assert tags(rank_for_typeahead("", CATALOG, limit=3)) == ["dup-a", "dup-b", "auth"]


def test_typeahead_falls_back_to_fuzzy_matches() -> None:
    assert "search" in tags(rank_for_typeahead("serch", CATALOG, limit=5))
