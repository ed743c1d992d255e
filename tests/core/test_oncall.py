"""Who is on call: Cortex's integrations first, Rootly On-Call when Cortex has none."""

from __future__ import annotations

import pytest

from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient
from bot.errors import UnavailableError
from bot.oncall import OWNER_TEAMS_ASKED, OnCallSource
from bot.rootly import RootlyClient
from bot.snapshot import take_snapshot
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly, Fault

BOTH = (OnCallSource.CORTEX, OnCallSource.ROOTLY)


@pytest.fixture
def both(cortex: CortexClient, rootly: RootlyClient) -> Catalog:
    """A workspace that connected Cortex and Rootly."""
    return Catalog(cortex, ResponseCache(), "T-ALPHA", rootly)


@pytest.fixture
def services(fake_cortex: FakeCortex) -> FakeCortex:
    fake_cortex.add_service("payments-api", "Payments API", teams=("team-pay", "team-core"))
    fake_cortex.add_service("search", "Search")
    return fake_cortex


def rootly_pages(
    rootly: FakeRootly, service_ids: tuple[str, ...] = (), group_ids: tuple[str, ...] = ()
) -> None:
    """Cy is on call at level 1 of a policy for the given services or teams, Di at level 2."""
    people = [("Cy Oncall", "cy@example.com"), ("Di Backup", "di@example.com")]
    rootly.page("Payments primary", people, service_ids=service_ids, group_ids=group_ids)


async def test_cortex_answers_first_and_rootly_is_not_asked(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    services.oncall["payments-api"] = [
        {
            "provider": "PAGERDUTY",
            "escalations": [{"escalationLevel": 1, "schedules": [{"user": {"name": "Ed"}}]}],
        }
    ]

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is OnCallSource.CORTEX
    assert [user.name for level in oncall.levels for user in level.users] == ["Ed"]
    assert fake_rootly.received == []


async def test_rootly_answers_for_the_service_the_sync_created(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    service_id = fake_rootly.add_service("Payments API", cortex_id="payments-api")
    search_id = fake_rootly.add_service("Search", cortex_id="search")
    rootly_pages(fake_rootly, service_ids=(service_id,))
    fake_rootly.page("Ops", [("Ed Ops", "ed@example.com")], service_ids=(service_id, search_id))
    fake_rootly.page("Search", [("Fi Search", "fi@example.com")], service_ids=(search_id,))

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is OnCallSource.ROOTLY
    assert oncall.asked == BOTH
    assert [(level.level, level.provider) for level in oncall.levels] == [
        (1, "Ops"),
        (1, "Payments primary"),
        (2, "Payments primary"),
    ]
    assert [(user.name, user.email) for user in oncall.levels[1].users] == [
        ("Cy Oncall", "cy@example.com")
    ]
    [lookup] = fake_rootly.requests_to("/v1/services")
    assert lookup.query["filter[cortex_id]"] == "payments-api"
    [asked] = fake_rootly.requests_to("/v1/oncalls")
    assert asked.query["filter[service_ids]"] == service_id
    assert asked.query["include"] == "user"


async def test_a_rootly_service_keyed_by_the_cortex_entity_id_counts_too(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    entity_id = services.entities["payments-api"]["id"]
    service_id = fake_rootly.add_service("Payments", cortex_id=entity_id)
    rootly_pages(fake_rootly, service_ids=(service_id,))

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is OnCallSource.ROOTLY
    asked = [
        request.query["filter[cortex_id]"] for request in fake_rootly.requests_to("/v1/services")
    ]
    assert asked == ["payments-api", entity_id]


async def test_the_rootly_service_owner_teams_are_asked_next(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    team_id = fake_rootly.add_team("Payments")
    fake_rootly.add_service("Payments API", cortex_id="payments-api", owner_group_ids=[team_id])
    rootly_pages(fake_rootly, group_ids=(team_id,))

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is OnCallSource.ROOTLY
    asked = fake_rootly.requests_to("/v1/oncalls")
    assert [request.query.get("filter[group_ids]") for request in asked] == [None, team_id]


async def test_without_a_rootly_service_the_cortex_owner_teams_are_matched(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    team_id = fake_rootly.add_team("Payments", cortex_id="team-pay")
    rootly_pages(fake_rootly, group_ids=(team_id,))

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is OnCallSource.ROOTLY
    teams = [request.query["filter[cortex_id]"] for request in fake_rootly.requests_to("/v1/teams")]
    assert sorted(teams) == ["team-core", "team-pay"]
    [asked] = fake_rootly.requests_to("/v1/oncalls")
    assert asked.query["filter[group_ids]"] == team_id


async def test_only_the_first_owner_teams_are_looked_up(
    both: Catalog, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    teams = tuple(f"team-{number:02d}" for number in range(40))
    fake_cortex.add_service("shared", teams=teams)

    oncall = (await both.oncall("shared")).value

    assert oncall.source is None
    assert len(fake_rootly.requests_to("/v1/teams")) == OWNER_TEAMS_ASKED


async def test_when_neither_knows_both_were_asked(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Search", cortex_id="search")

    oncall = (await both.oncall("search")).value

    assert oncall.source is None
    assert oncall.levels == ()
    assert oncall.asked == BOTH


async def test_without_rootly_only_cortex_is_asked(catalog: Catalog, services: FakeCortex) -> None:
    oncall = (await catalog.oncall("search")).value

    assert oncall.source is None
    assert oncall.asked == (OnCallSource.CORTEX,)


async def test_rootly_without_on_call_answers_404_and_knows_nobody(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Payments API", cortex_id="payments-api")
    fake_rootly.faults.append(Fault(status=404, path_contains="/v1/oncalls"))

    oncall = (await both.oncall("payments-api")).value

    assert oncall.source is None


async def test_the_rootly_answer_is_cached(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    service_id = fake_rootly.add_service("Payments API", cortex_id="payments-api")
    rootly_pages(fake_rootly, service_ids=(service_id,))

    await both.oncall("payments-api")
    before = len(fake_rootly.received), services.count()
    again = (await both.oncall("payments-api")).value

    assert again.source is OnCallSource.ROOTLY
    assert (len(fake_rootly.received), services.count()) == before


async def test_the_card_snapshot_carries_the_rootly_answer(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    service_id = fake_rootly.add_service("Payments API", cortex_id="payments-api")
    rootly_pages(fake_rootly, service_ids=(service_id,))

    snapshot = await take_snapshot(both, "payments-api")

    assert snapshot.oncall is not None
    assert snapshot.oncall.source is OnCallSource.ROOTLY
    assert snapshot.problems == {}


async def test_a_failing_rootly_is_noted_on_the_snapshot_not_taken_for_nobody(
    both: Catalog, services: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_rootly.faults += [Fault(status=503, path_contains="/v1/services") for _ in range(3)]

    snapshot = await take_snapshot(both, "payments-api")

    assert snapshot.oncall is None
    assert isinstance(snapshot.problems["on-call"], UnavailableError)
    assert snapshot.problems["on-call"].service == "Rootly"


async def test_oncalls_read_people_from_the_included_users(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    rootly_pages(fake_rootly, group_ids=("g1",))

    found = await rootly.list_oncalls(group_ids=("g1", "g2"))

    assert sorted(
        (oncall.escalation_level, oncall.user.display_name) for oncall in found if oncall.user
    ) == [
        (1, "Cy Oncall"),
        (2, "Di Backup"),
    ]
    assert fake_rootly.requests_to("/v1/oncalls")[0].query["filter[group_ids]"] == "g1,g2"
