"""What a person types, resolved against the catalog."""

from __future__ import annotations

import pytest

from bot.cortex.models import Entity, OwnerPerson, Owners, OwnerTeam
from bot.finder import SUGGESTION_CUTOFF, find_named, rank_for_typeahead, resemblance, search

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
    assert tags(search("refunds", DESCRIBED).matches)[:2] == ["refunds-ui", "billing"]


def test_search_finds_owners_and_groups() -> None:
    assert tags(search("growth", DESCRIBED).matches)[0] == "notifier"
    assert tags(search("lea@example", DESCRIBED).matches)[0] == "notifier"
    assert "vault" in tags(search("payments", DESCRIBED).matches)


def test_search_needs_every_word_somewhere_in_the_service() -> None:
    assert tags(search("customers invoices", DESCRIBED).matches)[0] == "billing"
    assert "billing" not in tags(search("customers ledger", DESCRIBED).matches)[:1]


def test_search_ranks_names_before_descriptions_and_finds_them_all() -> None:
    many = [*DESCRIBED, *(Entity(tag=f"gw-{n:02}", name=f"Gateway {n:02}") for n in range(37))]

    found = tags(search("payments", DESCRIBED).matches)
    gateways = search("gateway", many)

    assert found == ["payments-api", "payments-worker", "vault"]  # no fuzzy hangers-on
    assert len(gateways.matches) == 39  # every one, for "10 of 39"
    assert gateways.suggestions == ()


def test_search_offers_the_closest_only_when_nothing_matches() -> None:
    assert search("paymnts", DESCRIBED).matches == ()
    assert tags(search("paymnts", DESCRIBED).suggestions)[:2] == ["payments-api", "payments-worker"]
    assert search("bogus-subcommand", DESCRIBED).suggestions == ()


# A catalog where the old scorer (WRatio over "tag name") offered unrelated services: a one-letter
# name scored 86 against anything with an "a" in it.
LOOKALIKES = [
    *CATALOG,
    Entity(tag="a", name="A"),
    Entity(tag="ml-feature-store", name="ML Feature Store"),
    Entity(tag="checkout-gateway", name="Checkout Gateway"),
    Entity(tag="inventory-service", name="Inventory Service"),
]


@pytest.mark.parametrize(
    ("typed", "offered"),
    [
        ("paymnts", ["payments-api", "payments-worker"]),
        ("paymnts-api", ["payments-api"]),
        ("ledgr", ["ledger"]),
        ("idntity", ["auth"]),
        ("chekout", ["checkout-gateway"]),
        ("feature stor", ["ml-feature-store"]),
        ("bogus-subcommand", []),
        ("cortex", []),
        ("events", []),
        ("report", []),
        ("foo bar", []),
    ],
)
def test_did_you_mean_offers_nothing_rather_than_an_unrelated_service(
    typed: str, offered: list[str]
) -> None:
    assert tags(find_named(typed, LOOKALIKES).suggestions) == offered


def test_resemblance_is_of_the_whole_or_word_by_word() -> None:
    payments = Entity(tag="payments-api", name="Payments API")

    assert resemblance("payments api", payments) == 100
    assert resemblance("paymnts", payments) > SUGGESTION_CUTOFF  # one word, one typo
    assert resemblance("a", Entity(tag="a-b", name="A B")) == 100
    assert resemblance("serach payments", payments) < SUGGESTION_CUTOFF  # half of it is not it
