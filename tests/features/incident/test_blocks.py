"""The incident modal and the posted context on fixed data: what comes first, the one timeline,
its cap, and what the submit button says."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.cortex.models import CustomEvent, Deploy, DeployType, EntityDetails
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.incident.blocks import MAX_CHANGES, incident_summary
from handlers.incident.modals import IncidentForm, incident_modal, submit_label

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
INCIDENT = RootlyIncident(
    id="inc-1",
    title="Checkout <!channel> down",
    sequential_id=12,
    created_at=NOW,
    url="https://rootly.com/i/1",
    status="started",
    severity="SEV1",
)


def snapshot(tag: str, deploys: int = 0, events: int = 0) -> ServiceSnapshot:
    return ServiceSnapshot(
        entity=EntityDetails(tag=tag, name=tag.title()),
        oncall=None,
        deploys=[
            Deploy(
                uuid=f"{tag}-d{n}",
                title=f"release {n}",
                type=DeployType.ROLLBACK if n == 1 else DeployType.DEPLOY,
                timestamp=NOW - timedelta(minutes=10 * n + 5),
            )
            for n in range(deploys)
        ],
        scores=[],
        dependencies=[],
        events=[
            CustomEvent(
                uuid=f"{tag}-e{n}",
                type="FLAG",
                title=f"flag {n}",
                timestamp=NOW - timedelta(minutes=10 * n),
            )
            for n in range(events)
        ],
    )


def test_the_submit_button_says_what_it_will_do() -> None:
    attach, record, post = (
        ids.ATTACH_TO_INCIDENT,
        ids.RECORD_INCIDENT_EVENTS,
        ids.POST_INCIDENT_SUMMARY,
    )

    assert submit_label([post, attach]) == "Attach and post"
    assert submit_label([attach, record, post]) == "Attach, record and post"
    assert submit_label([post]) == "Post"
    assert submit_label([]) == "Apply"


def test_the_incident_comes_first_then_the_services_then_one_timeline() -> None:
    snapshots = {"pay": snapshot("pay", deploys=2, events=2), "ledger": snapshot("ledger")}
    form = IncidentForm(
        channel="C1",
        slash="/cortex",
        tags=("pay", "ledger"),
        snapshots=snapshots,
        incidents=[INCIDENT],
        incident_id="inc-1",
    )

    blocks = incident_modal(form, NOW).to_dict()["blocks"]

    assert [block.get("block_id") for block in blocks[:2]] == [
        ids.INCIDENT_BLOCK,
        ids.INCIDENT_SERVICES_BLOCK,
    ]
    [timeline] = [block for block in blocks if "What changed" in str(block)]
    lines = timeline["text"]["text"].splitlines()[1:]
    assert [line.split("`pay`: ")[1].split(",")[0] for line in lines] == [
        "flag 0",
        "release 0",
        "flag 1",
        "release 1",
    ]
    assert lines[3].startswith("• :rewind: *Rollback* of `pay`")
    assert blocks[-1]["block_id"] == ids.INCIDENT_ACTIONS_BLOCK


def test_a_long_timeline_is_capped_and_counted() -> None:
    snapshots = {f"svc-{n}": snapshot(f"svc-{n}", deploys=5, events=5) for n in range(10)}

    message = incident_summary(tuple(snapshots), snapshots, INCIDENT, "/cortex", now=NOW)

    blocks = [block.to_dict() for block in message.blocks]
    assert len(blocks) <= 50
    timeline = blocks[-1]["text"]["text"].splitlines()
    assert len(timeline) == 1 + MAX_CHANGES + 1
    assert timeline[-1] == "…and 90 more"


def test_the_posted_context_names_the_incident_once_with_status_and_severity() -> None:
    message = incident_summary((), {}, INCIDENT, "/cortex", now=NOW)

    blocks = [block.to_dict() for block in message.blocks]
    assert blocks[0]["text"]["text"] == "Incident context: Checkout <!channel> down"  # plain text
    assert blocks[1]["elements"][0]["text"] == (
        "<https://rootly.com/i/1|Rootly incident #12> · status *started* · severity *SEV1*"
    )
    assert str(message.text).startswith("Incident context: Checkout &lt;!channel&gt; down · ")


def test_a_service_without_a_name_is_named_by_its_tag() -> None:
    unnamed = replace(snapshot("ledger"), entity=EntityDetails(tag="ledger", name=" "))

    message = incident_summary(("ledger",), {"ledger": unnamed}, None, "/cortex", now=NOW)

    shown = str([block.to_dict() for block in message.blocks])
    assert "*ledger* `ledger`" in shown
    assert "**" not in shown
