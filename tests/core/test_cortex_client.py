"""The Cortex client against the fake Cortex: shapes, paging, retries and typed errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.cortex import CortexClient, cortex_api
from bot.cortex.models import Deployer, DeployType, NewCustomEvent, NewDeploy
from bot.egress import Egress
from bot.errors import (
    InvalidRequestError,
    NotFoundError,
    RateLimitedError,
    UnauthorizedError,
    UnavailableError,
)
from bot.http import JsonApi, RetryPolicy
from tests.support.apis import FAST_RETRIES, RecordingSleep
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


async def test_lists_every_page_with_page_and_page_size(
    patient_cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    for number in range(2_345):
        fake_cortex.add_service(f"svc-{number:04d}")

    services = await patient_cortex.list_entities(types=("service",))

    assert len(services) == 2_345
    assert len({service.tag for service in services}) == 2_345
    listing = fake_cortex.requests_to("/api/v1/catalog")
    assert sorted(request.query["page"] for request in listing) == ["0", "1", "2"]
    assert {request.query["pageSize"] for request in listing} == {"1000"}
    assert listing[0].query.getall("types") == ["service"]
    assert listing[0].query["includeOwners"] == "true"


async def test_archived_services_only_when_asked(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("live")
    fake_cortex.add_service("old", archived=True)

    default = await cortex.list_entities()
    everything = await cortex.list_entities(include_archived=True)

    assert [entity.tag for entity in default] == ["live"]
    assert {entity.tag: entity.is_archived for entity in everything} == {"live": False, "old": True}


async def test_search_filters_are_sent(cortex: CortexClient, fake_cortex: FakeCortex) -> None:
    fake_cortex.add_service("payments-api", groups=("payments",), teams=("team-pay",))
    fake_cortex.add_service("search-api", groups=("search",))

    found = await cortex.list_entities(query="pay", groups=("payments",), owners=("team-pay",))

    assert [entity.tag for entity in found] == ["payments-api"]
    sent = fake_cortex.requests_to("/api/v1/catalog")[0].query
    assert sent["query"] == "pay"
    assert sent.getall("groups") == ["payments"]
    assert sent.getall("owners") == ["team-pay"]


async def test_entity_details_take_owners_from_owners_v2(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service(
        "payments-api",
        "Payments API",
        description="Moves money",
        teams=("team-pay",),
        emails=("ana@example.com",),
        links=(("Runbook", "runbook", "https://runbooks.example.com/pay"),),
        slack_channels=("pay-oncall",),
    )

    details = await cortex.get_entity("payments-api")

    assert details.name == "Payments API"
    assert [team.tag for team in details.owners.teams] == ["team-pay"]
    assert [person.email for person in details.owners.individuals] == ["ana@example.com"]
    assert details.links[0].url == "https://runbooks.example.com/pay"
    assert details.slack_channels[0].name == "pay-oncall"


async def test_deploys_come_newest_first(cortex: CortexClient, fake_cortex: FakeCortex) -> None:
    fake_cortex.add_service("api")
    for hours_ago in (5, 1, 3):
        fake_cortex.add_deploy(
            "api",
            f"{hours_ago}h ago",
            NOW - timedelta(hours=hours_ago),
            deployer={"name": "Ana", "email": "ana@example.com"},
            environment="prod",
        )

    deploys = await cortex.list_deploys("api")

    assert [deploy.title for deploy in deploys] == ["1h ago", "3h ago", "5h ago"]
    assert deploys[0].deployer == Deployer(name="Ana", email="ana@example.com")


async def test_add_deploy_sends_the_documented_body(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")

    recorded = await cortex.add_deploy(
        "api",
        NewDeploy(
            title="v1.2.3",
            type=DeployType.ROLLBACK,
            timestamp=NOW,
            environment="prod",
            sha="abc1234",
            deployer=Deployer(name="Ana", email="ana@example.com"),
        ),
    )

    assert recorded.title == "v1.2.3"
    assert recorded.deployer == Deployer(name="Ana", email="ana@example.com")
    body = fake_cortex.requests_to("/api/v1/catalog/api/deploys", "POST")[0].body
    assert body == {
        "title": "v1.2.3",
        "type": "ROLLBACK",
        "timestamp": "2026-11-22T12:00:00Z",
        "environment": "prod",
        "sha": "abc1234",
        "deployer": {"name": "Ana", "email": "ana@example.com"},
    }


async def test_custom_events_in_a_time_window(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.add_event("api", "old", NOW - timedelta(days=3))
    fake_cortex.add_event("api", "recent", NOW - timedelta(hours=2))
    await cortex.add_custom_event(
        "api", NewCustomEvent(type="INCIDENT", title="newest", timestamp=NOW)
    )

    events = await cortex.list_custom_events("api", start=NOW - timedelta(days=1), end=NOW)

    assert [event.title for event in events] == ["newest", "recent"]
    sent = fake_cortex.requests_to("/api/v1/catalog/api/custom-events")[0].query
    assert sent["startTime"] == "2026-11-21T12:00:00Z"
    assert sent["endTime"] == "2026-11-22T12:00:00Z"


async def test_scores_oncall_and_dependencies(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.scores["api"] = [
        {
            "scorecardId": 7,
            "scorecardName": "Production readiness",
            "score": 8,
            "scorePercentage": 0.8,
            "totalPossibleScore": 10,
            "ladderLevels": [{"level": {"name": "Gold", "number": 1}}],
        }
    ]
    fake_cortex.oncall["api"] = [
        {
            "provider": "PAGERDUTY",
            "escalations": [
                {"escalationLevel": 2, "schedules": [{"user": {"name": "Bo"}}]},
                {
                    "escalationLevel": 1,
                    "schedules": [{"user": {"name": "Ana", "email": "ana@example.com"}}],
                },
            ],
        }
    ]
    fake_cortex.dependencies["api"] = [
        {"callerTag": "api", "callerType": "service", "calleeTag": "db", "calleeType": "resource"}
    ]

    scores = await cortex.get_scorecard_scores("api")
    oncall = await cortex.get_current_oncall("api")
    dependencies = await cortex.list_dependencies("api")

    assert [(score.scorecard_name, score.level) for score in scores] == [
        ("Production readiness", "Gold")
    ]
    assert oncall is not None
    assert [(level.level, [user.name for user in level.users]) for level in oncall] == [
        (1, ["Ana"]),
        (2, ["Bo"]),
    ]
    assert [dependency.callee_tag for dependency in dependencies] == ["db"]


async def test_no_oncall_integration_is_an_answer_not_an_error(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")

    assert await cortex.get_current_oncall("api") is None
    with pytest.raises(NotFoundError):
        await cortex.get_current_oncall("no-such-service")


async def test_an_entity_without_dependencies_has_none(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("lonely")

    assert await cortex.list_dependencies("lonely") == []


async def test_429_waits_retry_after_then_succeeds(
    cortex: CortexClient, fake_cortex: FakeCortex, retry_sleep: RecordingSleep
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=429, retry_after=1))

    details = await cortex.get_entity("api")

    assert details.tag == "api"
    assert retry_sleep.waits == [1.0]
    assert fake_cortex.count() == 2


async def test_429_longer_than_the_deadline_is_reported_not_slept(
    cortex: CortexClient, fake_cortex: FakeCortex, retry_sleep: RecordingSleep
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=429, retry_after=120))

    with pytest.raises(RateLimitedError) as caught:
        await cortex.get_entity("api")

    assert caught.value.retry_after == 120
    assert retry_sleep.waits == []
    assert fake_cortex.count() == 1


async def test_5xx_is_retried_with_backoff_then_succeeds(
    cortex: CortexClient, fake_cortex: FakeCortex, retry_sleep: RecordingSleep
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults += [Fault(status=502), Fault(status=503)]

    details = await cortex.get_entity("api")

    assert details.tag == "api"
    assert fake_cortex.count() == 3
    assert len(retry_sleep.waits) == 2
    assert all(0 <= wait <= FAST_RETRIES.backoff_max for wait in retry_sleep.waits)


async def test_5xx_on_every_attempt_gives_up_as_unavailable(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults += [Fault(status=500) for _ in range(5)]

    with pytest.raises(UnavailableError) as caught:
        await cortex.get_entity("api")

    assert caught.value.status == 500
    assert fake_cortex.count() == FAST_RETRIES.attempts


async def test_a_write_is_not_retried_after_a_5xx(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=500, method="POST"))
    deploy = NewDeploy(title="v2", type=DeployType.DEPLOY, timestamp=NOW)

    with pytest.raises(UnavailableError):
        await cortex.add_deploy("api", deploy)

    assert fake_cortex.count("POST") == 1


async def test_a_write_is_retried_after_a_429(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=429, retry_after=1, method="POST"))
    deploy = NewDeploy(title="v2", type=DeployType.DEPLOY, timestamp=NOW)

    await cortex.add_deploy("api", deploy)

    assert fake_cortex.count("POST") == 2
    assert [stored["title"] for stored in fake_cortex.deploys["api"]] == ["v2"]


# Per-request timeouts long enough that a loaded machine's ordinary answers never meet them,
# short beside the 5 s a hanging answer takes.
TIMED_OUT = RetryPolicy(
    attempts=3, request_timeout=1.5, deadline=30.0, backoff_base=0.01, backoff_max=0.02
)


async def test_a_hanging_cortex_times_out_per_request(
    egress: Egress, fake_cortex: FakeCortex
) -> None:
    cortex = CortexClient(cortex_api(egress, TIMED_OUT), fake_cortex.base_url, CORTEX_KEY)
    fake_cortex.add_service("api")
    fake_cortex.faults += [Fault(status=200, delay=5) for _ in range(3)]

    with pytest.raises(UnavailableError) as caught:
        await cortex.get_entity("api")

    assert "timed out" in caught.value.detail
    assert fake_cortex.count() == TIMED_OUT.attempts


async def test_one_slow_answer_is_retried(egress: Egress, fake_cortex: FakeCortex) -> None:
    cortex = CortexClient(cortex_api(egress, TIMED_OUT), fake_cortex.base_url, CORTEX_KEY)
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=200, delay=5))

    assert (await cortex.get_entity("api")).tag == "api"
    assert fake_cortex.count() == 2


async def test_the_whole_call_has_a_deadline(egress: Egress, fake_cortex: FakeCortex) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults += [Fault(status=200, delay=5) for _ in range(3)]
    tight = RetryPolicy(attempts=10, request_timeout=0.3, deadline=0.5, backoff_base=0.01)
    client = CortexClient(cortex_api(egress, tight), fake_cortex.base_url, CORTEX_KEY)

    with pytest.raises(UnavailableError, match=r"no answer within 0\.5 s"):
        await client.get_entity("api")

    assert fake_cortex.count() == 2


async def test_wrong_key_is_unauthorized_and_never_echoed(
    cortex_transport: JsonApi, fake_cortex: FakeCortex
) -> None:
    secret = "sk-live-do-not-print-9f8e7d6c"
    client = CortexClient(cortex_transport, fake_cortex.base_url, secret)

    with pytest.raises(UnauthorizedError) as caught:
        await client.list_entities()

    assert caught.value.status == 401
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value)
    assert secret not in repr(client)
    assert fake_cortex.count() == 1


async def test_unknown_entity_is_not_found(cortex: CortexClient, fake_cortex: FakeCortex) -> None:
    with pytest.raises(NotFoundError) as caught:
        await cortex.get_entity("nope")

    assert "Entity not found" in str(caught.value)
    assert fake_cortex.count() == 1


async def test_bad_json_is_unavailable_and_not_retried(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(bad_json=True))

    with pytest.raises(UnavailableError, match="not JSON"):
        await cortex.get_entity("api")

    assert fake_cortex.count() == 1


async def test_cortex_explanation_of_a_rejected_request_is_kept(
    cortex: CortexClient, fake_cortex: FakeCortex
) -> None:
    fake_cortex.add_service("api")
    fake_cortex.faults.append(Fault(status=400, method="POST"))

    with pytest.raises(InvalidRequestError, match="planned failure"):
        await cortex.add_deploy("api", NewDeploy(title="t", type=DeployType.SCALE, timestamp=NOW))


async def test_connection_refused_is_unavailable_and_its_kind_is_only_logged(
    cortex_transport: JsonApi, unused_tcp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    client = CortexClient(cortex_transport, f"http://127.0.0.1:{unused_tcp_port}", CORTEX_KEY)
    caplog.set_level(logging.INFO, "bot.http")

    with pytest.raises(UnavailableError, match="could not connect") as raised:
        await client.get_entity("api")

    assert "Error" not in raised.value.detail  # no exception class for people to read
    assert "ClientConnectorError" in caplog.text
