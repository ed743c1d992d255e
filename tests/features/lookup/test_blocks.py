"""The card and the on-call answer as pure builders, on fixed data: people as Slack mentions where
Slack knows their email, providers as they spell themselves, the shift end and the policy and
schedule linked, dependencies by name, rollbacks marked, owner teams before people."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from bot.cortex.models import (
    Dependency,
    Deploy,
    DeployType,
    EntityDetails,
    OncallLevel,
    OncallUser,
    OwnerPerson,
    Owners,
    OwnerTeam,
)
from bot.oncall import OnCall, OnCallSource
from bot.snapshot import ServiceSnapshot
from handlers.common.blocks import oncall_summary, service_people
from handlers.common.people import NOBODY_KNOWN, People
from handlers.lookup.blocks import oncall_blocks, service_card

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PEOPLE = People({"ana@example.com": "U0ANA", "cy@example.com": "U0CY"})
ENTITY = EntityDetails(
    tag="payments-api",
    name="Payments API",
    owners=Owners(
        teams=(OwnerTeam(tag="team-pay", name="Payments Team"),),
        individuals=(OwnerPerson(email="ana@example.com"), OwnerPerson(email="bo@example.com")),
    ),
)
POLICY = "https://rootly.com/account/escalation-policies/ep1"
SCHEDULE = "https://rootly.com/account/schedules/s1"


def oncall(
    source: OnCallSource, provider: str, *users: OncallUser, url: str | None = None
) -> OnCall:
    return OnCall(source, (OncallLevel(provider=provider, level=1, users=users, url=url),))


def snapshot(**parts: object) -> ServiceSnapshot:
    fields: dict[str, object] = {
        "entity": ENTITY,
        "oncall": None,
        "deploys": [],
        "scores": [],
        "dependencies": [],
        "events": [],
    }
    return ServiceSnapshot(**(fields | parts))  # type: ignore[arg-type]


def text_of(blocks: list[Block]) -> str:
    return json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)


def card_text(found: ServiceSnapshot, names: dict[str, str] | None = None) -> str:
    return text_of(service_card(found, "https://api.cortex.example", PEOPLE, names or {}))


def test_on_call_people_are_mentions_by_email_and_names_otherwise() -> None:
    found = oncall(
        OnCallSource.CORTEX,
        "PAGERDUTY",
        OncallUser(name="Cy Oncall", email="CY@example.com"),
        OncallUser(name="Di <!here> Backup", email="di@example.com"),
        OncallUser(name="Ed Noemail"),
    )

    assert oncall_summary(found, PEOPLE) == (
        "<@U0CY>, Di &lt;!here&gt; Backup, Ed Noemail _(PagerDuty)_"
    )


@pytest.mark.parametrize(
    ("provider", "spelled"),
    [
        ("PAGERDUTY", "PagerDuty"),
        ("OPSGENIE", "Opsgenie"),
        ("VICTOROPS", "VictorOps"),
        ("XMATTERS", "xMatters"),
    ],
)
def test_providers_are_spelled_as_they_spell_themselves(provider: str, spelled: str) -> None:
    found = oncall(OnCallSource.CORTEX, provider, OncallUser(name="Cy"))

    assert oncall_summary(found, NOBODY_KNOWN) == f"Cy _({spelled})_"
    assert f"*Level 1* · {spelled}: Cy" in text_of(oncall_blocks(ENTITY, found, NOBODY_KNOWN))


def test_rootly_shows_the_shift_end_the_policy_and_the_schedule_linked() -> None:
    until = NOW + timedelta(hours=6)
    cy = OncallUser(
        name="Cy", email="cy@example.com", until=until, schedule="Pay weekly", schedule_url=SCHEDULE
    )
    found = oncall(OnCallSource.ROOTLY, "Payments primary", cy, url=POLICY)

    summary = oncall_summary(found, PEOPLE)
    answer = text_of(oncall_blocks(ENTITY, found, PEOPLE))

    ends = f"<!date^{int(until.timestamp())}^"
    assert summary.startswith(f"<@U0CY> until {ends}")
    assert summary.endswith(f"_(<{POLICY}|Payments primary> in Rootly)_")
    assert f"*Level 1* · <{POLICY}|Payments primary> in Rootly: <@U0CY> until {ends}" in answer
    assert f"(schedule <{SCHEDULE}|Pay weekly>)" in answer


def test_the_card_lists_owner_teams_then_people() -> None:
    assert "*Owners*\\nPayments Team · <@U0ANA>, bo@example.com" in card_text(snapshot())


def test_the_card_names_its_first_dependencies_then_counts_the_rest() -> None:
    tags = ["ledger", "auth", "db-main", "cache", "queue"]
    dependencies = [Dependency(caller_tag="payments-api", callee_tag=tag) for tag in tags]

    shown = card_text(snapshot(dependencies=dependencies), {"ledger": "Ledger", "auth": "A<b>"})

    assert "*Depends on*\\nLedger, A&lt;b&gt;, `db-main` and 2 more" in shown


def test_the_cards_last_deploys_mark_rollbacks() -> None:
    deploys = [
        Deploy(uuid="2", title="revert 7", type=DeployType.ROLLBACK, timestamp=NOW),
        Deploy(uuid="1", title="release 7", type=DeployType.DEPLOY, timestamp=NOW),
    ]

    shown = card_text(snapshot(deploys=deploys))

    assert "• :rewind: revert 7 (rollback) by someone" in shown
    assert "• release 7 by someone" in shown


def test_the_people_looked_up_are_who_is_on_call_then_the_owners() -> None:
    found = oncall(OnCallSource.CORTEX, "OPSGENIE", OncallUser(name="Cy", email="cy@example.com"))

    assert service_people(snapshot(oncall=found)) == [
        "cy@example.com",
        "ana@example.com",
        "bo@example.com",
    ]
