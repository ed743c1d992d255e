"""The fields an admin lets the sync own beyond name and description: owners (as Rootly teams),
repository, paging and Slack channels. A field that is off is never written, never compared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from bot.errors import ChannelsUnavailableError
from bot.services import Services
from bot.sync import Status, SyncEngine
from bot.sync.fields import SyncField
from bot.sync.plan import ATTRIBUTES_OF, FieldDiff
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.cortex import Fault as CortexFault
from tests.support.fakes.rootly import FakeRootly
from tests.support.services import ADMIN, TEAM, services_written

# The fixtures `services` and `sync` (tests/support/services.py).

EVERY_FIELD = frozenset(SyncField)
SLACK_CHANNELS = {"pay-oncall": "C0PAYONCALL", "payments": "C0PAYMENTS"}


async def directory(team_id: str) -> Mapping[str, str]:
    assert team_id == TEAM
    return SLACK_CHANNELS


@pytest.fixture
def sync(services: Services) -> SyncEngine:
    return SyncEngine(services, channels=directory)


def seed_payments(cortex: FakeCortex, tag: str = "pay", **changes: Any) -> None:
    """A service with something to say for every field."""
    fields: dict[str, Any] = {
        "description": "Moves money",
        "teams": ("payments-team",),
        "slack_channels": ("pay-oncall",),
        "repository": ("github", f"acme/{tag}"),
    }
    cortex.add_service(tag, tag.title(), **(fields | changes))
    cortex.register_oncall(tag, "PAGERDUTY", f"PD-{tag}")


def written_attributes(rootly: FakeRootly) -> list[dict[str, Any]]:
    """Every set of service attributes Rootly was sent, in bulk or one by one."""
    found = [entity for request in rootly.bulk_requests() for entity in request.body["entities"]]
    found += [
        request.body["data"]["attributes"]
        for request in rootly.received
        if request.method in ("POST", "PUT")
        and request.path.startswith("/v1/services")
        and "bulk_upsert" not in request.path
    ]
    return found


def only(rootly: FakeRootly) -> dict[str, Any]:
    [service] = [s for s in rootly.services.values() if s.get("cortex_id")]
    return service


async def test_every_field_on_gives_rootly_owners_repository_paging_and_channels(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_payments(fake_cortex)
    await sync.set_fields(TEAM, EVERY_FIELD, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    [team_id] = fake_rootly.teams
    assert fake_rootly.teams[team_id].items() >= {
        ("name", "Payments-Team"),
        ("cortex_id", "payments-team"),
        ("external_id", "cortex:payments-team"),
    }
    service = only(fake_rootly)
    assert service["owner_group_ids"] == [team_id]
    assert service["github_repository_name"] == "acme/pay"
    assert service["pagerduty_id"] == "PD-pay"
    assert service["slack_channels"] == [{"id": "C0PAYONCALL", "name": "pay-oncall"}]
    assert service["external_id"] == "cortex:pay"
    assert (report.status, report.counts.created) == (Status.SUCCEEDED, 1)


async def test_a_rerun_with_every_field_on_writes_nothing(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    for tag in ("pay", "search", "ledger"):
        seed_payments(fake_cortex, tag)
    await sync.set_fields(TEAM, EVERY_FIELD, ADMIN)
    await sync.run(TEAM, triggered_by=ADMIN)
    fake_rootly.received.clear()

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert [r.method for r in fake_rootly.received] == ["GET", "GET"]  # services, teams
    assert report.counts.unchanged == 3


@pytest.mark.parametrize("switched_off", list(SyncField))
async def test_a_field_switched_off_is_never_written_nor_compared(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly, switched_off: SyncField
) -> None:
    seed_payments(fake_cortex, "pay")  # created
    seed_payments(fake_cortex, "ledger", description="changed")  # updated
    kept: dict[str, Any] = {
        "owner_group_ids": ["someone-elses-team"],
        "github_repository_name": "someone/else",
        "gitlab_repository_name": None,
        "pagerduty_id": "PD-else",
        "opsgenie_id": None,
        "slack_channels": [{"id": "C0ELSE", "name": "else"}],
    }
    ledger = fake_rootly.add_service("Ledger", cortex_id="ledger", **kept)
    await sync.set_fields(TEAM, EVERY_FIELD - {switched_off}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    written = written_attributes(fake_rootly)
    off = set(ATTRIBUTES_OF[switched_off])
    assert all(not off & set(attributes) for attributes in written)
    for field in EVERY_FIELD - {switched_off}:  # the others are written, so this could fail
        assert any(set(ATTRIBUTES_OF[field]) & set(attributes) for attributes in written)
    for attribute in off:
        assert fake_rootly.services[ledger][attribute] == kept[attribute]
    assert report.status is Status.SUCCEEDED


async def test_a_difference_only_in_a_field_switched_off_writes_nothing(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_payments(fake_cortex)
    fake_rootly.add_service(
        "Pay",
        cortex_id="pay",
        external_id="cortex:pay",
        description="Moves money",
        github_repository_name="acme/old-name",
    )

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert services_written(fake_rootly) == 0
    assert report.counts.unchanged == 1


async def test_owner_teams_are_created_once_in_bulk_and_reused(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    for tag in ("a", "b", "c"):
        fake_cortex.add_service(tag, teams=("platform",))
    fake_cortex.add_service("d", teams=("platform", "payments"))
    payments = fake_rootly.add_team("Payments", cortex_id="payments")
    await sync.set_fields(TEAM, {SyncField.OWNERS}, ADMIN)

    await sync.run(TEAM, triggered_by=ADMIN)
    fake_cortex.add_service("e", teams=("platform",))
    await sync.run(TEAM, triggered_by=ADMIN)

    [team_batch] = fake_rootly.bulk_requests("teams")
    assert team_batch.body["entities"] == [
        {"name": "Platform", "cortex_id": "platform", "external_id": "cortex:platform"}
    ]
    [platform] = [i for i, team in fake_rootly.teams.items() if team["cortex_id"] == "platform"]
    owners = {s["cortex_id"]: s["owner_group_ids"] for s in fake_rootly.services.values()}
    assert owners == {
        "a": [platform],
        "b": [platform],
        "c": [platform],
        "d": [platform, payments],
        "e": [platform],
    }


async def test_a_team_rootly_refuses_is_reported_and_its_services_still_written(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("a", teams=("platform",))
    fake_rootly.add_team("Platform")  # made by hand: the name is taken, no cortex_id
    await sync.set_fields(TEAM, {SyncField.OWNERS}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert report.status is Status.PARTIAL
    assert report.errors == ("team platform: Rootly: Name has already been taken (HTTP 422)",)
    assert report.counts.created == 1
    assert only(fake_rootly)["owner_group_ids"] == []  # the team is tried again next time


async def test_repository_comes_from_github_or_gitlab(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("hub", repository=("github", "acme/hub"))
    fake_cortex.add_service("lab", repository=("gitlab", "acme/lab"))
    fake_cortex.add_service("bit", repository=("bitbucket", "acme/bit"))
    moved = fake_rootly.add_service(
        "Moved", cortex_id="moved", external_id="cortex:moved", github_repository_name="acme/x"
    )
    fake_cortex.add_service("moved", repository=("gitlab", "acme/moved"))
    await sync.set_fields(TEAM, {SyncField.REPOSITORY}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    by_tag = {s["cortex_id"]: s for s in fake_rootly.services.values()}
    assert by_tag["hub"]["github_repository_name"] == "acme/hub"
    assert by_tag["lab"]["gitlab_repository_name"] == "acme/lab"
    assert "github_repository_name" not in by_tag["bit"]  # Rootly has no field for Bitbucket
    assert fake_rootly.services[moved]["github_repository_name"] is None
    assert fake_rootly.services[moved]["gitlab_repository_name"] == "acme/moved"
    [moved_line] = [line for line in report.changes if line.tag == "moved"]
    assert moved_line.diffs == (
        FieldDiff(attribute="github_repository_name", before="acme/x", after=None),
        FieldDiff(attribute="gitlab_repository_name", before=None, after="acme/moved"),
    )


async def test_paging_comes_from_the_on_call_registration(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pd")
    fake_cortex.register_oncall("pd", "PAGERDUTY", "PD123")
    fake_cortex.add_service("og")
    fake_cortex.register_oncall("og", "OPSGENIE", "og-456")
    fake_cortex.add_service("none")
    await sync.set_fields(TEAM, {SyncField.PAGING}, ADMIN)

    await sync.run(TEAM, triggered_by=ADMIN)

    by_tag = {s["cortex_id"]: s for s in fake_rootly.services.values()}
    assert by_tag["pd"]["pagerduty_id"] == "PD123"
    assert by_tag["og"]["opsgenie_id"] == "og-456"
    assert "pagerduty_id" not in by_tag["none"]


async def test_paging_ids_cortex_cannot_give_are_left_alone_and_reported(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    seed_payments(fake_cortex)
    existing = fake_rootly.add_service("Pay", cortex_id="pay", pagerduty_id="PD-old")
    fake_cortex.faults += [CortexFault(status=503, path_contains="/registration")] * 3
    await sync.set_fields(TEAM, {SyncField.PAGING}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert fake_rootly.services[existing]["pagerduty_id"] == "PD-old"
    assert report.status is Status.PARTIAL
    assert report.errors[0].startswith("pay: paging ids not read (Cortex: ")


async def test_slack_channel_names_become_ids_and_unknown_ones_are_noted(
    sync: SyncEngine, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    fake_cortex.add_service("pay", slack_channels=("#Pay-Oncall", "payments", "gone-private"))
    await sync.set_fields(TEAM, {SyncField.SLACK_CHANNELS}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert only(fake_rootly)["slack_channels"] == [
        {"id": "C0PAYONCALL", "name": "#Pay-Oncall"},
        {"id": "C0PAYMENTS", "name": "payments"},
    ]
    assert report.notes == (
        "pay: Slack channel #gone-private was not found in this workspace "
        "(or the bot may not see it)",
    )
    assert report.status is Status.SUCCEEDED


async def test_slack_channels_that_cannot_be_listed_are_left_alone_and_reported(
    services: Services, fake_cortex: FakeCortex, fake_rootly: FakeRootly
) -> None:
    async def broken(_team_id: str) -> Mapping[str, str]:
        raise ChannelsUnavailableError("missing_scope")

    seed_payments(fake_cortex)
    existing = fake_rootly.add_service(
        "Pay", cortex_id="pay", slack_channels=[{"id": "C0OLD", "name": "old"}]
    )
    sync = SyncEngine(services, channels=broken)
    await sync.set_fields(TEAM, {SyncField.SLACK_CHANNELS}, ADMIN)

    report = await sync.run(TEAM, triggered_by=ADMIN)

    assert fake_rootly.services[existing]["slack_channels"] == [{"id": "C0OLD", "name": "old"}]
    assert report.errors[0] == (
        "Slack channels could not be listed: missing_scope; "
        "Slack channels were left as Rootly has them"
    )


async def test_the_choice_is_kept_per_workspace_and_forgotten_on_uninstall(
    sync: SyncEngine,
) -> None:
    choice = await sync.set_fields(TEAM, {SyncField.PAGING, SyncField.OWNERS}, ADMIN)

    assert choice.ordered() == [SyncField.OWNERS, SyncField.PAGING]
    assert await sync.fields.get(TEAM) == choice
    assert (await sync.status(TEAM)).fields == choice
    assert await sync.fields.get("T0OTHER") is None
    await sync.forget(TEAM)
    assert await sync.fields.get(TEAM) is None
