"""The Rootly client against the fake Rootly: JSON:API shapes, paging, retries and typed errors."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.egress import Egress
from bot.errors import (
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    UnavailableError,
)
from bot.http import JsonApi, RetryPolicy
from bot.incident import ACTIVE_STATUSES
from bot.rootly import RootlyClient, rootly_api
from bot.rootly.client import describe_rootly_error
from bot.rootly.models import RootlyIncident, ServiceAttributes
from tests.support.apis import FAST_RETRIES, RecordingSleep
from tests.support.contract import requires_specs
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly, Fault, Quota

# The fixtures `fake_rootly`, `rootly_transport` and `rootly`.

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


# --- services ----------------------------------------------------------------------------------


async def test_lists_every_page_by_number_and_size(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    for number in range(250):
        fake_rootly.add_service(f"svc-{number:03d}", cortex_id=f"svc-{number:03d}")

    services = await rootly.list_services()

    assert sorted(service.name for service in services) == [f"svc-{n:03d}" for n in range(250)]
    listing = fake_rootly.requests_to("/v1/services")
    assert sorted(request.query["page[number]"] for request in listing) == ["1", "2", "3"]
    assert {request.query["page[size]"] for request in listing} == {"100"}


async def test_smaller_pages_than_asked_are_still_read_in_full(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.max_page_size = 40
    for number in range(250):
        fake_rootly.add_service(f"svc-{number:03d}")

    services = await rootly.list_services()

    assert len({service.id for service in services}) == 250
    assert fake_rootly.count("GET", "/v1/services") == 7


async def test_services_filtered_by_cortex_id(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.add_service("Payments API", cortex_id="payments-api", description="Moves money")
    fake_rootly.add_service("Search API", cortex_id="search-api")
    fake_rootly.add_service("Hand made")

    found = await rootly.list_services(cortex_id="payments-api")

    assert [(s.name, s.cortex_id, s.description) for s in found] == [
        ("Payments API", "payments-api", "Moves money")
    ]
    assert found[0].slug == "payments-api"
    assert fake_rootly.requests_to("/v1/services")[0].query["filter[cortex_id]"] == "payments-api"


async def test_services_filtered_by_name(rootly: RootlyClient, fake_rootly: FakeRootly) -> None:
    fake_rootly.add_service("Payments API")
    fake_rootly.add_service("Search API")

    found = await rootly.list_services(name="Search API")

    assert [service.name for service in found] == ["Search API"]
    assert fake_rootly.requests_to("/v1/services")[0].query["filter[name]"] == "Search API"


async def test_create_sends_exactly_the_fields_the_sync_owns(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    created = await rootly.create_service(
        ServiceAttributes(name="Payments API", description="Moves money", cortex_id="payments-api")
    )

    assert created.cortex_id == "payments-api"
    assert created.id in fake_rootly.services
    request = fake_rootly.requests_to("/v1/services", "POST")[0]
    assert request.headers["Content-Type"] == "application/vnd.api+json"
    assert request.body == {
        "data": {
            "type": "services",
            "attributes": {
                "name": "Payments API",
                "description": "Moves money",
                "cortex_id": "payments-api",
            },
        }
    }


async def test_update_writes_the_owned_fields_and_keeps_the_others(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    service_id = fake_rootly.add_service(
        "Payments", description="old", color="#ff0000", owner_group_ids=["team-1"]
    )

    updated = await rootly.update_service(
        service_id,
        ServiceAttributes(name="Payments API", description=None, cortex_id="payments-api"),
    )

    assert (updated.name, updated.description, updated.cortex_id) == (
        "Payments API",
        None,
        "payments-api",
    )
    stored = fake_rootly.services[service_id]
    assert (stored["color"], stored["owner_group_ids"]) == ("#ff0000", ["team-1"])
    body = fake_rootly.requests_to(f"/v1/services/{service_id}", "PUT")[0].body
    assert body["data"]["attributes"] == {
        "name": "Payments API",
        "description": None,
        "cortex_id": "payments-api",
    }


async def test_a_field_not_given_is_not_sent(rootly: RootlyClient, fake_rootly: FakeRootly) -> None:
    service_id = fake_rootly.add_service("Payments", description="kept")

    await rootly.update_service(service_id, ServiceAttributes(name="Payments", cortex_id="pay"))

    body = fake_rootly.requests_to(f"/v1/services/{service_id}", "PUT")[0].body
    assert body["data"]["attributes"] == {"name": "Payments", "cortex_id": "pay"}
    assert fake_rootly.services[service_id]["description"] == "kept"


async def test_service_attributes_refuse_fields_the_sync_does_not_own() -> None:
    with pytest.raises(ValueError, match="color"):
        ServiceAttributes.model_validate({"name": "x", "color": "#fff"})


# --- incidents ---------------------------------------------------------------------------------


async def test_active_incidents_newest_first(rootly: RootlyClient, fake_rootly: FakeRootly) -> None:
    fake_rootly.add_incident("old", status="started", created_at=NOW - timedelta(days=2))
    fake_rootly.add_incident("resolved", status="resolved", created_at=NOW - timedelta(hours=3))
    fake_rootly.add_incident("new", status="mitigated", created_at=NOW - timedelta(hours=1))
    fake_rootly.add_incident("triage", status="in_triage", created_at=NOW)

    incidents = await rootly.list_incidents(statuses=ACTIVE_STATUSES)

    assert [(incident.title, incident.status) for incident in incidents] == [
        ("triage", "in_triage"),
        ("new", "mitigated"),
        ("old", "started"),
    ]
    query = fake_rootly.requests_to("/v1/incidents")[0].query
    assert query["filter[status]"] == "in_triage,started,mitigated"
    assert query["sort"] == "-created_at"


async def test_incident_linked_to_a_slack_channel(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    incident_id = fake_rootly.add_incident("db down", slack_channel_id="C0INC1")
    fake_rootly.add_incident("elsewhere", slack_channel_id="C0OTHER")

    incidents = await rootly.list_incidents(slack_channel_id="C0INC1")

    assert [incident.id for incident in incidents] == [incident_id]
    assert incidents[0].slack_channel_id == "C0INC1"
    assert incidents[0].url == f"https://rootly.com/account/incidents/{incident_id}"
    query = fake_rootly.requests_to("/v1/incidents")[0].query
    assert query["filter[slack_channel_id]"] == "C0INC1"
    assert "filter[status]" not in query


async def test_get_incident_reads_its_services(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    api = fake_rootly.add_service("API")
    db = fake_rootly.add_service("DB")
    incident_id = fake_rootly.add_incident("db down", service_ids=(api, db), created_at=NOW)

    incident = await rootly.get_incident(incident_id)

    assert (incident.title, incident.created_at, incident.service_ids) == (
        "db down",
        NOW,
        (api, db),
    )


async def test_attach_services_keeps_the_ones_already_there(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    api, db, cache = (fake_rootly.add_service(name) for name in ("API", "DB", "Cache"))
    incident_id = fake_rootly.add_incident("db down", service_ids=(api, db))

    incident = await rootly.attach_services(incident_id, [cache, api])

    assert incident.service_ids == (api, db, cache)
    assert fake_rootly.incident_services[incident_id] == [api, db, cache]
    body = fake_rootly.requests_to(f"/v1/incidents/{incident_id}", "PUT")[0].body
    assert body == {"data": {"type": "incidents", "attributes": {"service_ids": [api, db, cache]}}}


async def test_attach_services_already_attached_writes_nothing(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    api = fake_rootly.add_service("API")
    incident_id = fake_rootly.add_incident("db down", service_ids=(api,))

    incident = await rootly.attach_services(incident_id, [api])

    assert incident.service_ids == (api,)
    assert fake_rootly.count("PUT") == 0


async def test_set_incident_services_replaces_the_list(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    api, db = fake_rootly.add_service("API"), fake_rootly.add_service("DB")
    incident_id = fake_rootly.add_incident("db down", service_ids=(api,))

    incident = await rootly.set_incident_services(incident_id, [db])

    assert incident.service_ids == (db,)
    assert fake_rootly.incident_services[incident_id] == [db]


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            {"attributes": {"services": [{"data": {"id": "s1", "type": "services"}}]}},
            id="documented-service-responses",
        ),
        pytest.param({"attributes": {"services": [{"id": "s1"}]}}, id="bare-resources"),
        pytest.param(
            {"attributes": {}, "relationships": {"services": {"data": [{"id": "s1"}]}}},
            id="relationships",
        ),
        pytest.param({"attributes": {"service_ids": ["s1"]}}, id="flat-ids"),
    ],
)
def test_incident_services_are_read_from_any_shape(resource: dict[str, Any]) -> None:
    resource["attributes"] |= {"title": "t", "created_at": "2026-11-22T12:00:00Z"}

    incident = RootlyIncident.model_validate({"id": "i1", "type": "incidents", **resource})

    assert incident.service_ids == ("s1",)


async def test_an_incident_carries_its_services_whole_with_their_cortex_id(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    api = fake_rootly.add_service("API", cortex_id="api")
    hand_made = fake_rootly.add_service("Hand made")
    incident_id = fake_rootly.add_incident("db down", service_ids=(api, hand_made))

    incident = await rootly.get_incident(incident_id)

    assert [(s.id, s.name, s.cortex_id) for s in incident.services] == [
        (api, "API", "api"),
        (hand_made, "Hand made", None),
    ]


def test_an_incident_as_a_webhook_carries_it_is_read_too(fake_rootly: FakeRootly) -> None:
    api = fake_rootly.add_service("API", cortex_id="api")
    incident_id = fake_rootly.add_incident("db down", service_ids=(api,), created_at=NOW)
    delivered = json.loads(fake_rootly.delivery_body("incident.created", incident_id))

    incident = RootlyIncident.model_validate(delivered["data"])

    assert (incident.id, incident.begun_at, incident.service_ids) == (incident_id, NOW, (api,))
    assert [s.cortex_id for s in incident.services] == ["api"]


async def test_an_incident_event_is_an_internal_line_on_the_timeline(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    incident_id = fake_rootly.add_incident("db down")

    event = await rootly.add_incident_event(incident_id, "Cortex: 2 deploys before the start")

    assert event.event == "Cortex: 2 deploys before the start"
    assert [e["event"] for e in fake_rootly.incident_events[incident_id]] == [event.event]
    body = fake_rootly.requests_to(f"/v1/incidents/{incident_id}/events", "POST")[0].body
    assert body == {
        "data": {
            "type": "incident_events",
            "attributes": {"event": event.event, "visibility": "internal"},
        }
    }


async def test_a_webhook_endpoint_is_created_with_its_secret_and_events(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    endpoint = await rootly.create_webhook_endpoint(
        name="Cortex bot",
        url="https://bot.example.com/rootly/webhooks/abc",
        secret="s3cr3t",
        event_types=("incident.created", "incident.updated"),
    )

    stored = fake_rootly.webhook_endpoints[endpoint.id]
    assert (stored["url"], stored["secret"], stored["event_types"], stored["enabled"]) == (
        "https://bot.example.com/rootly/webhooks/abc",
        "s3cr3t",
        ["incident.created", "incident.updated"],
        True,
    )
    assert endpoint.event_types == ("incident.created", "incident.updated")


async def test_a_webhook_endpoint_is_deleted_and_a_second_delete_is_not_found(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    endpoint = await rootly.create_webhook_endpoint(
        name="Cortex bot", url="https://bot.example.com/x", secret="s", event_types=()
    )

    await rootly.delete_webhook_endpoint(endpoint.id)

    assert fake_rootly.webhook_endpoints == {}
    with pytest.raises(NotFoundError):
        await rootly.delete_webhook_endpoint(endpoint.id)


async def test_a_key_that_may_not_manage_webhooks_is_refused(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.refuse_webhooks = 403

    with pytest.raises(UnauthorizedError):
        await rootly.create_webhook_endpoint(
            name="Cortex bot", url="https://bot.example.com/x", secret="s", event_types=()
        )
    assert fake_rootly.webhook_endpoints == {}


# --- retries, limits and errors ----------------------------------------------------------------


@pytest.fixture
def unhurried_rootly(
    egress: Egress, fake_rootly: FakeRootly, retry_sleep: RecordingSleep
) -> RootlyClient:
    """A client whose deadline leaves room for Rootly's pacer to wait out a reset of 2 s in real
    time after the retry's own (recorded, not slept) wait."""
    policy = replace(FAST_RETRIES, deadline=6.0)
    api = rootly_api(egress, policy, sleep=retry_sleep)
    return RootlyClient(api, fake_rootly.base_url, ROOTLY_KEY)


async def test_429_waits_retry_after_then_succeeds(
    unhurried_rootly: RootlyClient, fake_rootly: FakeRootly, retry_sleep: RecordingSleep
) -> None:
    fake_rootly.add_service("API")
    fake_rootly.faults.append(Fault(status=429, retry_after=2))

    assert [service.name for service in await unhurried_rootly.list_services()] == ["API"]
    assert retry_sleep.waits == [2.0]
    assert fake_rootly.count() == 2


async def test_429_waits_until_x_ratelimit_reset_then_succeeds(
    unhurried_rootly: RootlyClient, fake_rootly: FakeRootly, retry_sleep: RecordingSleep
) -> None:
    fake_rootly.add_service("API")
    fake_rootly.faults.append(Fault(status=429, reset_in=2))

    assert [service.name for service in await unhurried_rootly.list_services()] == ["API"]
    [waited] = retry_sleep.waits
    assert 1.5 < waited <= 3.0  # an epoch second, rounded up, minus the time it took to read it
    assert fake_rootly.count() == 2


async def test_a_write_is_retried_after_a_429(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.faults.append(Fault(status=429, retry_after=1, method="POST"))

    await rootly.create_service(ServiceAttributes(name="API", cortex_id="api"))

    assert fake_rootly.count("POST") == 2
    assert [service["name"] for service in fake_rootly.services.values()] == ["API"]


async def test_a_used_up_quota_is_reported_at_once_without_asking_rootly_again(
    rootly: RootlyClient, fake_rootly: FakeRootly, retry_sleep: RecordingSleep
) -> None:
    fake_rootly.quota = Quota(reads=2, writes=1, window=60)
    await rootly.check_access()
    await rootly.check_access()

    with pytest.raises(RateLimitedError) as caught:
        await rootly.check_access()
    await rootly.create_service(ServiceAttributes(name="API"))  # writes have their own quota

    assert caught.value.retry_after is not None
    assert 58 < caught.value.retry_after <= 61
    assert retry_sleep.waits == []  # a minute does not fit the deadline: reported, not slept
    # The headers said no read was left: the third read was never sent.
    assert (fake_rootly.count("GET"), fake_rootly.count("POST")) == (2, 1)


async def test_reads_are_retried_after_a_5xx(
    rootly: RootlyClient, fake_rootly: FakeRootly, retry_sleep: RecordingSleep
) -> None:
    incident_id = fake_rootly.add_incident("db down")
    fake_rootly.faults += [Fault(status=502), Fault(status=503)]

    assert (await rootly.get_incident(incident_id)).title == "db down"
    assert fake_rootly.count() == 3
    assert all(0 <= wait <= FAST_RETRIES.backoff_max for wait in retry_sleep.waits)


async def test_a_create_is_not_retried_after_a_5xx(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.faults.append(Fault(status=500, method="POST"))

    with pytest.raises(UnavailableError) as caught:
        await rootly.create_service(ServiceAttributes(name="API"))

    assert caught.value.status == 500
    assert fake_rootly.count("POST") == 1


async def test_an_update_is_not_retried_after_a_5xx(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    service_id = fake_rootly.add_service("API")
    fake_rootly.faults.append(Fault(status=503, method="PUT"))

    with pytest.raises(UnavailableError):
        await rootly.update_service(service_id, ServiceAttributes(name="API", cortex_id="api"))

    assert fake_rootly.count("PUT") == 1
    assert fake_rootly.services[service_id]["cortex_id"] is None


async def test_check_access_reads_one_service_under_the_given_policy(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    await rootly.check_access()
    fake_rootly.faults.append(Fault(status=503))

    with pytest.raises(UnavailableError):
        await rootly.check_access(RetryPolicy(attempts=1))

    first = fake_rootly.requests_to("/v1/services")[0].query
    assert (first["page[number]"], first["page[size]"]) == ("1", "1")
    assert fake_rootly.count() == 2


async def test_wrong_key_is_unauthorized_and_never_echoed(
    rootly_transport: JsonApi, fake_rootly: FakeRootly
) -> None:
    secret = "rootly-live-do-not-print-5a4b3c2d"
    client = RootlyClient(rootly_transport, fake_rootly.base_url, secret)

    with pytest.raises(UnauthorizedError) as caught:
        await client.check_access()

    assert caught.value.status == 401
    assert "Invalid API key" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(client), str(client.identity)):
        assert secret not in text
    assert fake_rootly.count() == 1


async def test_unknown_resources_are_not_found(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    with pytest.raises(NotFoundError):
        await rootly.get_incident("no-such-incident")
    with pytest.raises(NotFoundError, match="Resource not found"):
        await rootly.update_service("no-such-service", ServiceAttributes(name="x"))

    assert fake_rootly.count("GET") + fake_rootly.count("PUT") == 2


async def test_rootly_explanation_of_a_rejected_request_is_kept(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.faults.append(Fault(status=422, method="POST"))

    with pytest.raises(InvalidRequestError) as caught:
        await rootly.create_service(ServiceAttributes(name="API"))

    assert caught.value.detail == "Planned failure: the fake was told to fail"
    assert caught.value.violations == ("Planned failure: the fake was told to fail",)


async def test_bad_json_is_unavailable_and_not_retried(
    rootly: RootlyClient, fake_rootly: FakeRootly
) -> None:
    fake_rootly.faults.append(Fault(bad_json=True))

    with pytest.raises(UnavailableError, match="not JSON"):
        await rootly.list_services()

    assert fake_rootly.count() == 1


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (
            {"errors": [{"title": "Invalid", "detail": "Name can't be blank", "status": "422"}]},
            ("Invalid: Name can't be blank", ("Invalid: Name can't be blank",)),
        ),
        (
            {"errors": [{"title": "Not found", "status": "404"}, {"title": "Gone", "detail": ""}]},
            ("Not found; Gone", ("Not found", "Gone")),
        ),
        (
            {"error": "Rate limit exceeded. Try again later."},
            ("Rate limit exceeded. Try again later.", ()),
        ),
        ("<html>", ("", ())),
        (None, ("", ())),
    ],
)
def test_describe_rootly_error(payload: Any, expected: tuple[str, tuple[str, ...]]) -> None:
    assert describe_rootly_error(payload)[:2] == expected


# --- the fake keeps us honest ------------------------------------------------------------------


@requires_specs
async def test_the_contract_check_catches_an_unknown_attribute(
    rootly_transport: JsonApi, fake_rootly: FakeRootly
) -> None:
    body = {"data": {"type": "services", "attributes": {"name": "API", "owner": "team-1"}}}

    await rootly_transport.request(
        "POST", f"{fake_rootly.base_url}/v1/services", api_key=ROOTLY_KEY, body=body
    )

    assert len(fake_rootly.violations) == 1
    assert "'owner' was unexpected" in fake_rootly.violations[0]
    fake_rootly.violations.clear()
