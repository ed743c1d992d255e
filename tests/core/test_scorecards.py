"""Scorecards in the core: the Cortex reads against the fake Cortex, caching and summaries."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient
from bot.cortex.client import PAGE_SIZE, PAGING
from bot.errors import NotFoundError, UnavailableError, UnknownScorecardError
from bot.scorecards import WORST_SHOWN, service_scorecards
from tests.support.fakes.cortex import FakeCortex, Fault, rule

READINESS_RULES = (
    rule("owner", "Bronze", title="Has an owner"),
    rule("runbook", "Bronze", title="Has a runbook", description="Link a runbook in the catalog."),
    rule("oncall", "Silver", title="Is paged", description="Register an on-call rotation."),
    rule("slo", "Gold", title="Has SLOs"),
    rule("docs", "Gold"),  # no title: shown by its expression
)


def readiness(fake: FakeCortex, tag: str = "readiness", name: str = "Production readiness") -> None:
    fake.add_scorecard(tag, name, READINESS_RULES, description="Ready for production?")


def payments_failing_slos(fake: FakeCortex) -> None:
    """payments-api on the readiness scorecard, Silver for lack of SLOs."""
    fake.add_service("payments-api")
    readiness(fake)
    fake.score("readiness", "payments-api", failing=("slo",))


async def test_scorecards_are_listed_with_rules_and_levels_drafts_left_out(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.add_scorecard("wip", "Work in progress", (rule("x"),), draft=True)

    scorecards = await cortex.list_scorecards()

    assert [card.tag for card in scorecards] == ["readiness"]
    card = scorecards[0]
    assert [level.name for level in card.ladder] == ["Gold", "Silver", "Bronze"]
    assert card.rule("runbook") is not None
    assert card.rule("runbook").description == "Link a runbook in the catalog."  # type: ignore[union-attr]
    assert card.rule("docs").label == 'custom("docs") = true'  # type: ignore[union-attr]
    sent = fake_cortex.requests_to("/api/v1/scorecards")[0].query
    assert (sent["page"], sent["pageSize"]) == ("0", str(PAGE_SIZE))


async def test_a_scorecard_of_1500_services_is_read_over_several_pages(
    patient_cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    for number in range(1_500):
        fake_cortex.score("readiness", f"svc-{number:04d}", failing=("slo",) if number % 3 else ())

    listing = await patient_cortex.list_service_scores("readiness")

    scores = listing.service_scores
    assert (listing.scorecard_tag, listing.scorecard_id) == ("readiness", 1)
    assert len({score.service.tag for score in scores}) == 1_500
    pages = fake_cortex.requests_to("/api/v1/scorecards/readiness/scores")
    assert sorted(request.query["page"] for request in pages) == ["0", "1"]
    assert {request.query["pageSize"] for request in pages} == {str(PAGE_SIZE)}
    assert sum(1 for score in scores if score.failed_rules) == 1_000


async def test_pages_in_flight_are_bounded(
    patient_cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    for number in range(PAGE_SIZE * 5 + 1):
        fake_cortex.score("readiness", f"svc-{number:05d}")
    fake_cortex.latency = 0.2

    listing = await patient_cortex.list_service_scores("readiness")

    assert len(listing.service_scores) == PAGE_SIZE * 5 + 1
    assert len(fake_cortex.requests_to("/api/v1/scorecards/readiness/scores")) == 6
    assert fake_cortex.max_in_flight == PAGING.in_flight


async def test_one_service_on_one_scorecard_and_its_next_steps(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.score("readiness", "other")
    fake_cortex.score("readiness", "payments-api", failing=("oncall", "slo"))

    listing = await cortex.list_service_scores("readiness", entity_tag="payments-api")
    [score] = listing.service_scores
    steps = await cortex.get_next_steps("readiness", "payments-api")

    assert score.service.tag == "payments-api"
    assert score.score.current_level is not None
    assert score.score.current_level.name == "Bronze"
    assert [rule.identifier for rule in score.failed_rules] == ["oncall", "slo"]
    [step] = steps.next_steps
    assert step.next_level is not None
    assert step.next_level.level is not None
    assert step.next_level.level.name == "Silver"
    assert [rule.label for rule in step.rules_to_complete] == ["Is paged"]
    sent = fake_cortex.requests_to("/api/v1/scorecards/readiness/next-steps")[0].query
    assert sent["entityTag"] == "payments-api"


async def test_an_unknown_scorecard_is_not_found(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    with pytest.raises(NotFoundError):
        await cortex.list_service_scores("nope")


async def test_the_summary_counts_levels_and_names_the_worst_first(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.add_service("gold-1", "Gold One")
    fake_cortex.score("readiness", "gold-1")
    for number in range(30):
        fake_cortex.score("readiness", f"silver-{number:02d}", failing=("slo",))
    fake_cortex.score("readiness", "bronze-a", failing=("oncall", "slo", "docs"))
    fake_cortex.score("readiness", "bronze-b", failing=("oncall",))
    fake_cortex.score("readiness", "none-a", failing=("owner",))
    fake_cortex.score("readiness", "none-b", failing=("owner", "runbook", "oncall"))
    [scorecard] = (await catalog.scorecards()).value

    summary = (await catalog.scorecard_summary(scorecard)).value

    assert summary.services == 35
    assert summary.scorecard_id == 1
    assert summary.per_level == (("Gold", 1), ("Silver", 30), ("Bronze", 2), (None, 2))
    assert summary.failing == 34
    assert len(summary.worst) == WORST_SHOWN
    assert [standing.tag for standing in summary.worst[:4]] == [
        "none-b",
        "none-a",
        "bronze-a",
        "bronze-b",
    ]
    assert summary.worst[0].failed_rules == 3
    assert {standing.level for standing in summary.worst[4:]} == {"Silver"}


async def test_the_summary_is_cached_per_workspace(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.score("readiness", "a", failing=("slo",))
    cache = ResponseCache()
    alpha, beta = Catalog(cortex, cache, "T-ALPHA"), Catalog(cortex, cache, "T-BETA")
    [scorecard] = (await alpha.scorecards()).value

    await alpha.scorecard_summary(scorecard)
    await alpha.scorecard_summary(scorecard)
    await beta.scorecard_summary(scorecard)

    assert len(fake_cortex.requests_to("/api/v1/scorecards/readiness/scores")) == 2


def lookups(kind: str, result: str) -> float:
    labels = {"kind": kind, "result": result}
    return REGISTRY.get_sample_value("cortex_bot_cache_lookups_total", labels) or 0.0


async def test_scorecard_reads_are_counted_by_kind(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.score("readiness", "a", failing=("slo",))
    before = lookups("scorecard-summary", "miss"), lookups("scorecard-summary", "hit")
    [scorecard] = (await catalog.scorecards()).value

    await catalog.scorecard_summary(scorecard)
    await catalog.scorecard_summary(scorecard)

    after = lookups("scorecard-summary", "miss"), lookups("scorecard-summary", "hit")
    assert (after[0] - before[0], after[1] - before[1]) == (1, 1)


async def test_scorecards_resolve_by_tag_then_name_then_fuzzy(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    readiness(fake_cortex)
    fake_cortex.add_scorecard("security", "Security baseline", (rule("tls"),))

    by_tag = await catalog.resolve_scorecard("security")
    by_name = await catalog.resolve_scorecard(" production readiness ")
    with pytest.raises(UnknownScorecardError) as typo:
        await catalog.resolve_scorecard("secutiry baseline")

    assert by_tag.tag == "security"
    assert by_name.tag == "readiness"
    assert typo.value.query == "secutiry baseline"
    assert [card.tag for card in typo.value.suggestions][:1] == ["security"]
    assert len(fake_cortex.requests_to("/api/v1/scorecards")) == 1


async def test_one_service_across_its_scorecards(catalog: Catalog, fake_cortex: FakeCortex) -> None:
    fake_cortex.add_service("payments-api")
    readiness(fake_cortex)
    fake_cortex.add_scorecard("security", "Security baseline", (rule("tls", "Gold"),))
    fake_cortex.score("security", "payments-api")
    fake_cortex.score("readiness", "payments-api", failing=("runbook", "slo", "docs"))

    found = await service_scorecards(catalog, "payments-api")

    assert found.entity.tag == "payments-api"
    assert [detail.score.scorecard_name for detail in found.details] == [
        "Production readiness",
        "Security baseline",
    ]
    worst = found.details[0]
    assert worst.score.level is None
    assert [(rule.label, rule.description) for rule in worst.failed_rules] == [
        ("Has a runbook", "Link a runbook in the catalog."),
        ("Has SLOs", None),
        ('custom("docs") = true', None),
    ]
    [step] = worst.next_steps
    assert [rule.label for rule in step.rules_to_complete] == ["Has a runbook"]
    assert found.details[1].failed_rules == ()
    assert found.problems == ()


async def test_a_namesake_scorecard_that_skips_the_service_is_passed_over(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("payments-api")
    readiness(fake_cortex, tag="readiness-old")
    readiness(fake_cortex, tag="readiness")
    fake_cortex.score("readiness", "payments-api", failing=("slo",))

    [detail] = (await service_scorecards(catalog, "payments-api")).details

    assert detail.scorecard is not None
    assert detail.scorecard.tag == "readiness"
    assert [rule.label for rule in detail.failed_rules] == ["Has SLOs"]


async def test_scores_are_shown_when_the_definitions_cannot_be_read(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    payments_failing_slos(fake_cortex)
    fake_cortex.faults += [Fault(status=503, path_contains="/api/v1/scorecards") for _ in range(3)]

    found = await service_scorecards(catalog, "payments-api")

    [detail] = found.details
    assert detail.score.level == "Silver"
    assert detail.scorecard is None
    assert [type(problem) for problem in found.problems] == [UnavailableError]


async def test_a_failing_part_of_one_scorecard_is_noted(
    catalog: Catalog, fake_cortex: FakeCortex
) -> None:
    payments_failing_slos(fake_cortex)
    fake_cortex.faults += [Fault(status=503, path_contains="/next-steps") for _ in range(3)]

    [detail] = (await service_scorecards(catalog, "payments-api")).details

    assert [rule.label for rule in detail.failed_rules] == ["Has SLOs"]
    assert detail.next_steps == ()
    assert [type(problem) for problem in detail.problems] == [UnavailableError]


async def test_an_unknown_service_is_not_found(catalog: Catalog, fake_cortex: FakeCortex) -> None:
    readiness(fake_cortex)

    with pytest.raises(NotFoundError):
        await service_scorecards(catalog, "nope")
    await asyncio.sleep(0)  # the definitions read started alongside finishes on its own


async def test_older_scores_are_shown_marked_when_cortex_fails(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    payments_failing_slos(fake_cortex)
    now = [0.0]
    catalog = Catalog(cortex, ResponseCache(clock=lambda: now[0]), "T-ALPHA")
    fresh = await service_scorecards(catalog, "payments-api")
    now[0] += 3600 - 1  # past every TTL, within the time stale answers are kept
    fake_cortex.faults += [Fault(status=503) for _ in range(20)]

    older = await service_scorecards(catalog, "payments-api")

    assert fresh.stale_because is None
    assert isinstance(older.stale_because, UnavailableError)
    assert all(detail.stale_because for detail in older.details)
    fresh_again = [replace(detail, stale_because=None) for detail in older.details]
    assert fresh_again == list(fresh.details)
