"""The Cortex context message at its limits: many services, many changes, long titles."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from bot.autopilot import Change, IncidentContext, ServiceContext
from bot.cortex.models import EntityDetails
from bot.digests.content import Window
from bot.errors import UnavailableError
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.autopilot.blocks import MAX_CHANGES, context_message
from handlers.common.kit import SECTION_TEXT
from handlers.common.people import NOBODY_KNOWN

BEGAN = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def snapshot(tag: str) -> ServiceSnapshot:
    return ServiceSnapshot(
        entity=EntityDetails(tag=tag, name=tag.title()),
        oncall=None,
        deploys=[],
        scores=[],
        dependencies=[],
        events=[],
    )


def change(number: int) -> Change:
    return Change(
        id=f"d{number}",
        tag="svc-0",
        kind="DEPLOY",
        is_deploy=True,
        title="release " + "x" * 300,
        when=BEGAN - timedelta(minutes=number),
        who="Bo",
        url=f"https://ci.example.com/{number}?a=1&b=2",
        environment="prod",
        dependency_of=None,
    )


def incident_context(services: int, changes: int) -> IncidentContext:
    incident = RootlyIncident(
        id="inc-1",
        title="T" * 400,
        created_at=BEGAN,
        url="https://rootly.com/i/1",
        status="started",
    )
    shown = [ServiceContext(f"S{n}", f"svc-{n}", snapshot(f"svc-{n}")) for n in range(services)]
    return IncidentContext(
        incident=incident,
        cortex_url="https://api.getcortexapp.com",
        window=Window(BEGAN - timedelta(hours=24), BEGAN),
        services=tuple(shown[:10]),
        more_services=max(0, services - 10),
        changes=tuple(change(n) for n in range(changes)),
        missing=("deploys of svc-3",),
    )


def test_a_big_incident_stays_within_slacks_limits() -> None:
    message = context_message(incident_context(services=14, changes=30), "/cortex", NOBODY_KNOWN)

    blocks = [block.to_dict() for block in message.blocks]
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert all(len(text) <= SECTION_TEXT for text in sections)
    shown = json.dumps(blocks, ensure_ascii=False)
    assert "…and 4 more services" in shown
    changes = sections[-1]
    assert changes.count("• ") <= MAX_CHANGES
    assert "more" in changes.splitlines()[-1]
    assert "a=1&amp;b=2" in changes
    assert "deploys of svc-3" in shown


def test_a_service_cortex_could_not_read_says_why_and_keeps_its_card_button() -> None:
    context = incident_context(services=0, changes=0)
    failed = ServiceContext("Checkout", "checkout", UnavailableError("Cortex", "timed out"))
    context = dataclasses.replace(context, services=(failed,))

    blocks = [block.to_dict() for block in context_message(context, "/cortex", NOBODY_KNOWN).blocks]

    service = blocks[2]
    assert "`checkout` (Checkout)" in service["text"]["text"]
    assert "Cortex is not answering right now" in service["text"]["text"]
    assert service["accessory"]["value"] == "checkout"
    assert "nothing in these services" in json.dumps(blocks)


def test_with_no_mapped_service_left_the_message_says_so() -> None:
    blocks = json.dumps(
        [
            b.to_dict()
            for b in context_message(incident_context(0, 0), "/cortex", NOBODY_KNOWN).blocks
        ]
    )

    assert "No service of this incident maps to a Cortex service any more." in blocks
