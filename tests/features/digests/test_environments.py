"""Which deploy environments a digest counts as production, and what `env=` keeps."""

from __future__ import annotations

import pytest

from bot.digests.environments import environment_order, is_production, wanted_environment


@pytest.mark.parametrize(
    "environment", ["prod", "Production", "PRD", "live", "prod-eu", "eu_production", "us prod 2"]
)
def test_production_by_its_usual_names(environment: str) -> None:
    assert is_production(environment)


@pytest.mark.parametrize(
    "environment", [None, "", "staging", "pre-prod", "non-prod", "preprod", "product", "dev"]
)
def test_not_production(environment: str | None) -> None:
    assert not is_production(environment)


def test_production_first_then_named_environments_by_name_then_none() -> None:
    environments = [None, "staging", "prod-eu", "dev", "production"]

    assert sorted(environments, key=environment_order) == [
        "prod-eu",
        "production",
        "dev",
        "staging",
        None,
    ]


def test_env_keeps_the_same_name_in_any_case_and_production_by_any_of_its_names() -> None:
    assert wanted_environment("STAGING", "staging")
    assert not wanted_environment("staging", "staging-2")
    assert wanted_environment("production", "prod")
    assert wanted_environment("prod", "PRD")
    assert wanted_environment("production", "prod-eu")
    assert not wanted_environment("production", "pre-prod")
    assert wanted_environment("prod-eu", "Prod-EU")
    assert not wanted_environment("prod-eu", "prod-us")  # a region is asked for by its name
