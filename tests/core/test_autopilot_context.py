"""What the autopilot's message says, read from the fake Cortex: the incident's services, and
what changed before it began, in theirs and their dependencies' deploys and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.autopilot.context import (
    MAX_DEPENDENCIES,
    IncidentContext,
    MappedService,
    gather_context,
    mapped_services,
)
from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient
from bot.rootly import RootlyClient
from bot.rootly.models import RootlyService
from bot.snapshot import ServiceSnapshot
from tests.support.apis import FAST_RETRIES
from tests.support.autopilot_world import seed
from tests.support.fakes.cortex import FakeCortex, Fault
from tests.support.fakes.rootly import FakeRootly

BEGAN = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
DAY = timedelta(hours=24)


async def context_of(
    catalog: Catalog, rootly: RootlyClient, incident_id: str, window: timedelta = DAY
) -> IncidentContext:
    incident = await rootly.get_incident(incident_id)
    mapped = mapped_services(incident.services)
    return await gather_context(catalog, incident, mapped, window, datetime.now(UTC))


def titles(context: IncidentContext) -> list[tuple[str, str, str | None]]:
    return [(change.tag, change.title, change.dependency_of) for change in context.changes]


async def test_services_and_their_dependencies_changes_in_the_window_newest_first(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)

    context = await context_of(catalog, rootly, world.incident_id)

    assert [(s.rootly_name, s.tag) for s in context.services] == [
        ("Payments API", "payments-api"),
        ("Checkout", "checkout"),
    ]
    payments = context.services[0].known
    assert isinstance(payments, ServiceSnapshot)
    assert [team.name for team in payments.entity.owners.teams] == ["Team-Pay"]
    assert payments.oncall is not None
    assert [user.name for user in payments.oncall.levels[0].users] == ["Cy Oncall"]
    assert [score.level for score in payments.scores] == ["Gold"]
    assert titles(context) == [
        ("checkout", "Flag new-cart on", None),
        ("ledger-db", "schema migration", "payments-api"),
        ("payments-api", "release 42", None),
        ("payments-api", "release 40", None),
    ]
    rollback = context.changes[3]
    assert (rollback.is_rollback, rollback.who) == (True, "Bo Deployer")
    assert context.changes[1].url == "https://ci.example.com/runs/7"
    assert (context.window.start, context.window.end) == (BEGAN - DAY, BEGAN)
    assert (context.missing, context.complete, context.more_services) == ((), True, 0)


async def test_a_shorter_window_shows_fewer_changes(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)

    context = await context_of(catalog, rootly, world.incident_id, timedelta(minutes=90))

    assert titles(context) == [
        ("checkout", "Flag new-cart on", None),
        ("ledger-db", "schema migration", "payments-api"),
    ]


async def test_the_services_are_read_at_once_then_their_dependencies(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)
    fake_cortex.latency = 0.05

    await context_of(catalog, rootly, world.incident_id)

    paths = [request.path for request in fake_cortex.received]
    dependency_reads = [i for i, path in enumerate(paths) if "/ledger-db/" in path]
    assert len(dependency_reads) == 2  # its deploys and its events
    first_round = paths[: dependency_reads[0]]
    assert len(first_round) == 12  # six parts of each of the two services
    assert fake_cortex.max_in_flight >= 12


async def test_a_service_named_by_its_cortex_entity_id_is_read_by_tag(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)
    fake_rootly.services[world.payments]["cortex_id"] = fake_cortex.entities["payments-api"]["id"]

    context = await context_of(catalog, rootly, world.incident_id)

    assert context.services[0].tag == "payments-api"
    assert ("ledger-db", "schema migration", "payments-api") in titles(context)
    assert context.complete


async def test_what_cortex_cannot_tell_is_named_and_the_rest_is_shown(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)
    for failing in ("/checkout/deploys", "/ledger-db/deploys"):
        fake_cortex.faults += [Fault(status=500, path_contains=failing)] * FAST_RETRIES.attempts

    context = await context_of(catalog, rootly, world.incident_id)

    assert set(context.missing) == {
        "deploys of checkout",
        "changes of ledger-db (a dependency of payments-api)",
    }
    assert not context.complete
    assert titles(context) == [
        ("checkout", "Flag new-cart on", None),
        ("payments-api", "release 42", None),
        ("payments-api", "release 40", None),
    ]


async def test_a_cortex_id_that_cortex_does_not_know_is_named(
    catalog: Catalog, rootly: RootlyClient, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    world = seed(fake_cortex, fake_rootly, BEGAN)
    fake_rootly.services[world.checkout]["cortex_id"] = "gone-service"

    context = await context_of(catalog, rootly, world.incident_id)

    assert [service.tag for service in context.services] == ["payments-api", "gone-service"]
    assert context.missing == ("the service gone-service",)


async def test_dependencies_are_read_once_and_capped(
    patient_cortex: CortexClient,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    rootly: RootlyClient,
) -> None:
    # Fifty reads at once: time enough for each, so that none is retried on a busy machine.
    catalog = Catalog(patient_cortex, ResponseCache(), "T")
    fake_cortex.add_service("api")
    fake_cortex.add_service("web")
    for number in range(MAX_DEPENDENCIES + 3):
        fake_cortex.add_service(f"dep-{number}")
        fake_cortex.add_dependency("api", f"dep-{number}")
    fake_cortex.add_dependency("web", "dep-0")
    fake_cortex.add_dependency("web", "api")
    incident = await rootly.get_incident(fake_rootly.add_incident("x", created_at=BEGAN))

    context = await gather_context(
        catalog,
        incident,
        [MappedService("API", "api"), MappedService("Web", "web")],
        DAY,
        datetime.now(UTC),
    )

    assert context.missing == ("changes of 3 more dependencies",)
    deploy_reads = [r.path for r in fake_cortex.received if r.path.endswith("/deploys")]
    assert len(deploy_reads) == len(set(deploy_reads)) == 2 + MAX_DEPENDENCIES


def test_only_services_with_a_cortex_id_are_mapped_each_once() -> None:
    services = [
        RootlyService(id="1", name="A", cortex_id="a"),
        RootlyService(id="2", name="None"),
        RootlyService(id="3", name="A again", cortex_id="a"),
        RootlyService(id="4", name="B", cortex_id="b"),
    ]

    assert mapped_services(services) == [MappedService("A", "a"), MappedService("B", "b")]
