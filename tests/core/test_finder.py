"""What a person types, resolved against the catalog."""

from __future__ import annotations

from bot.cortex.models import Entity, OwnerPerson, Owners, OwnerTeam
from bot.finder import find_named, rank_for_typeahead, search

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


DESCRIBED = [
    *CATALOG,
    Entity(tag="billing", name="Billing", description="Invoices and Refunds for customers."),
    Entity(tag="refunds-ui", name="Refunds UI"),
    Entity(tag="vault", name="Vault", groups=("payments",)),
    Entity(
        tag="notifier",
        name="Notifier",
        owners=Owners(
            teams=(OwnerTeam(tag="team-growth", name="Growth"),),
            individuals=(OwnerPerson(email="lea@example.com"),),
        ),
    ),
]


def test_search_finds_a_word_only_in_a_description_after_tag_and_name_matches() -> None:
    assert tags(search("refunds", DESCRIBED, limit=10))[:2] == ["refunds-ui", "billing"]


def test_search_finds_owners_and_groups() -> None:
    assert tags(search("growth", DESCRIBED, limit=10))[0] == "notifier"
    assert tags(search("lea@example", DESCRIBED, limit=10))[0] == "notifier"
    assert "vault" in tags(search("payments", DESCRIBED, limit=10))


def test_search_needs_every_word_somewhere_in_the_service() -> None:
    assert tags(search("customers invoices", DESCRIBED, limit=10))[0] == "billing"
    assert "billing" not in tags(search("customers ledger", DESCRIBED, limit=10))[:1]


def test_search_ranks_names_before_descriptions_then_fuzzy() -> None:
    found = tags(search("payments", DESCRIBED, limit=10))

    assert found[:2] == ["payments-api", "payments-worker"]
    assert found[2] == "vault"
