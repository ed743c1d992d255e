"""What a digest says, read from the fake Cortex, and how it reads in Slack within its limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cache import ResponseCache
from bot.catalog import Catalog
from bot.cortex import CortexClient
from bot.digests import Digest, DigestContent, Recurrence, Scope, Window
from bot.digests.content import build_content
from bot.storage import create_engine
from bot.sync import Status, SyncReport
from bot.sync.runs import SyncRuns
from handlers.common.home import digest_home_blocks
from handlers.common.kit import Message
from handlers.digests.blocks import digest_message
from tests.support.databases import migrate_in_thread
from tests.support.fakes.block_kit import LIMITS
from tests.support.fakes.cortex import FakeCortex, Fault

TEAM = "T-ALPHA"
NOW = datetime(2026, 1, 15, 17, 0, tzinfo=UTC)
WINDOW = Window(NOW - timedelta(days=1), NOW)
ALL = Scope()
BO = {"name": "Bo Deployer", "email": "bo@example.com"}


@pytest.fixture
def digest_catalog(cortex: CortexClient, response_cache: ResponseCache) -> Catalog:
    return Catalog(cortex, response_cache, TEAM)


@pytest.fixture
async def runs(tmp_path: Path) -> AsyncIterator[SyncRuns]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'digests.db'}"
    await migrate_in_thread(url)
    engine = create_engine(url)
    yield SyncRuns(engine)
    await engine.dispose()


async def build(
    catalog: Catalog,
    runs: SyncRuns,
    scope: Scope = ALL,
    previous: dict[str, bool] | None = None,
) -> DigestContent:
    return await build_content(catalog, runs, scope, WINDOW, previous)


def texts(message: Message) -> list[str]:
    return [json.dumps(block.to_dict(), ensure_ascii=False) for block in message.blocks]


def within_slack_limits(message: Message) -> bool:
    sections = [block.to_dict() for block in message.blocks if block.type == "section"]
    longest = max(len(section.get("text", {}).get("text", "")) for section in sections)
    return len(message.blocks) <= LIMITS["message blocks"] and longest <= LIMITS["section text"]


def seed_activity(cortex: FakeCortex) -> None:
    cortex.add_service("payments-api", "Payments API", groups=("payments",), teams=("team-pay",))
    cortex.add_service("search", "Search", groups=("discovery",))
    cortex.add_service("ledger", "Ledger", groups=("payments",))
    cortex.add_deploy("payments-api", "too old", NOW - timedelta(days=2), environment="prod")
    cortex.add_deploy(
        "payments-api", "release 1", NOW - timedelta(hours=5), environment="prod", deployer=BO
    )
    cortex.add_deploy(
        "payments-api",
        "back to 1",
        NOW - timedelta(hours=3),
        environment="prod",
        deployer=BO,
        type="ROLLBACK",
    )
    cortex.add_deploy(
        "payments-api", "release 2", NOW - timedelta(hours=2), environment="staging", deployer=BO
    )
    cortex.add_deploy(
        "search", "index v7", NOW - timedelta(hours=1), environment="prod", deployer=BO
    )
    cortex.add_event(
        "payments-api", "Card network degraded", NOW - timedelta(hours=4), type="INCIDENT"
    )
    cortex.add_event("ledger", "too old", NOW - timedelta(days=3))


async def test_activity_is_grouped_by_service_most_recent_first_each_newest_first(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)

    content = await build(digest_catalog, runs)

    assert [service.entity.tag for service in content.activity] == ["search", "payments-api"]
    payments = content.activity[1]
    assert [d.title for d in payments.deploys] == ["release 2", "back to 1", "release 1"]
    assert [e.title for e in payments.events] == ["Card network degraded"]
    assert (content.deploys, content.rollbacks, content.events, content.in_scope) == (4, 1, 1, 3)


async def test_the_message_gives_counts_first_then_each_service_with_env_and_deployer(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)

    message = digest_message(await build(digest_catalog, runs), "daily")
    blocks = texts(message)

    assert "*Daily digest* for all services (3 services)" in blocks[0]
    assert "4 deploys (1 rollback) on 2 services, 1 custom event." in blocks[0]
    assert message.text == "Daily digest: 4 deploys (1 rollback) on 2 services, 1 custom event"
    search, payments = blocks[2], blocks[3]
    assert "Search `search`* — 1 deploy" in search
    assert "Payments API `payments-api`* — 3 deploys, 1 rollback, 1 event" in payments
    lines = payments.split("\\n")
    assert lines[1].startswith(":rocket: release 2 to *staging*")
    assert lines[2].startswith(":rewind: back to 1 (rollback) to *prod*")
    assert "by Bo Deployer" in lines[2]
    assert lines[4].startswith(":pushpin: Card network degraded (INCIDENT)")
    assert "too old" not in str(blocks)


async def test_a_scope_keeps_the_services_of_a_group_or_an_owner(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)

    by_group = await build(digest_catalog, runs, Scope(group="Payments"))
    by_owner = await build(digest_catalog, runs, Scope(owner="team-pay"))
    by_both = await build(digest_catalog, runs, Scope(group="discovery", owner="team-pay"))

    assert [s.entity.tag for s in by_group.activity] == ["payments-api"]
    assert by_group.in_scope == 2
    assert [s.entity.tag for s in by_owner.activity] == ["payments-api"]
    assert by_both.in_scope == 0
    assert "services in group `discovery` owned by `team-pay`" in texts(digest_message(by_both))[0]


async def test_services_created_or_archived_since_the_last_digest(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("kept", "Kept")
    fake_cortex.add_service("retired", "Retired", archived=True)
    fake_cortex.add_service("long-gone", "Long Gone", archived=True)
    fake_cortex.add_service("brand-new", "Brand New")
    previous = {"kept": False, "retired": False, "long-gone": True}

    content = await build(digest_catalog, runs, previous=previous)
    message = digest_message(content, "weekly")

    assert [e.tag for e in content.created] == ["brand-new"]
    assert [e.tag for e in content.archived] == ["retired"]
    assert content.snapshot == {
        "kept": False,
        "retired": True,
        "long-gone": True,
        "brand-new": False,
    }
    assert "1 service created, 1 service archived" in texts(message)[0]
    assert "*New:* Brand New `brand-new`" in texts(message)[1]
    assert "*Archived:* Retired `retired`" in texts(message)[1]


async def test_a_first_digest_without_a_snapshot_reports_no_catalog_changes(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("kept", "Kept")

    content = await build(digest_catalog, runs, previous=None)

    assert (content.created, content.archived) == ((), ())


async def test_a_digest_with_nothing_to_say_says_so_in_one_line(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("quiet", "Quiet")
    fake_cortex.add_deploy("quiet", "ages ago", NOW - timedelta(days=30))

    message = digest_message(await build(digest_catalog, runs, previous={"quiet": False}), "daily")

    assert len(message.blocks) == 1
    assert "\\n" not in texts(message)[0]
    assert "nothing new" in message.text


async def test_the_last_sync_is_reported_when_it_finished_since_the_last_digest(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("quiet", "Quiet")
    report: dict[str, Any] = {
        "team_id": TEAM,
        "triggered_by": "schedule",
        "dry_run": False,
        "status": Status.SUCCEEDED,
        "counts": {"created": 3, "unchanged": 9},
    }
    older = NOW - timedelta(days=2)
    await runs.save(SyncReport.model_validate(report | {"started_at": older, "finished_at": older}))
    assert (await build(digest_catalog, runs)).last_sync is None

    recent = NOW - timedelta(hours=1)
    await runs.save(
        SyncReport.model_validate(report | {"started_at": recent, "finished_at": recent})
    )
    message = digest_message(await build(digest_catalog, runs), "daily")

    assert "*Last Rootly sync*" in texts(message)[1]
    assert "succeeded — 3 created, 9 unchanged" in texts(message)[1]


async def test_a_long_digest_is_summarised_within_slacks_limits_with_exact_counts(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    for number in range(60):
        tag = f"svc-{number:02d}"
        fake_cortex.add_service(tag)
        for deploy in range(15):
            title = f"release {deploy} " + "with a very long description " * 8
            when = NOW - timedelta(minutes=number * 15 + deploy + 1)
            fake_cortex.add_deploy(tag, title, when, environment="prod", deployer=BO)

    content = await build(digest_catalog, runs)
    message = digest_message(content, "daily")

    assert content.deploys == 900
    assert "900 deploys on 60 services" in texts(message)[0]
    assert within_slack_limits(message)
    first = texts(message)[2]
    assert first.count(":rocket:") == 8  # as many as fit, newest first
    assert "…and 7 more" in first
    assert "*20 more services with activity:*" in texts(message)[-1]
    assert "`svc-59` (15)" in texts(message)[-1]


async def test_a_service_cortex_will_not_tell_about_is_noted_and_the_rest_still_shown(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)
    fake_cortex.faults += [Fault(status=500, path_contains="/search/deploys") for _ in range(3)]

    content = await build(digest_catalog, runs)
    message = digest_message(content, "daily")

    assert [service.entity.tag for service in content.activity] == ["payments-api"]
    assert [service.entity.tag for service in content.unreadable] == ["search"]
    assert "Cortex did not tell the activity of 1 service: `search`" in texts(message)[-1]


async def test_reads_run_concurrently_and_a_second_digest_reuses_the_cache(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    for number in range(20):
        fake_cortex.add_service(f"svc-{number:02d}")
    fake_cortex.latency = 0.02

    await build(digest_catalog, runs)
    requests = len(fake_cortex.received)
    await build(digest_catalog, runs, Scope(group="none"))
    await build(digest_catalog, runs)

    assert requests == 1 + 20 * 2
    assert fake_cortex.max_in_flight > 4
    assert len(fake_cortex.received) == requests


def scheduled(channel: str, disabled: str | None = None, group: str | None = None) -> Digest:
    return Digest(
        id=f"id-{channel}",
        team_id=TEAM,
        channel_id=channel,
        scope=Scope(group=group),
        recurrence=Recurrence("weekly", time(9, 0), "Europe/Lisbon", weekday=0),
        created_by="U0ADMIN",
        created_at=NOW,
        next_due_at=datetime(2026, 1, 19, 9, 0, tzinfo=UTC),
        covered_until=None,
        disabled_reason=disabled,
    )


def test_app_home_lists_the_workspaces_digests_with_channel_schedule_and_next_post() -> None:
    blocks = digest_home_blocks(
        [scheduled("C1", group="pay<ments>"), scheduled("C2", disabled="not_in_channel")],
        "/cortex",
    )

    shown = json.dumps([block.to_dict() for block in blocks], ensure_ascii=False)
    assert len(blocks) == 1
    assert (
        "<#C1> weekly on Monday at 09:00 (Europe/Lisbon), services in group `pay&lt;ments&gt;`"
        in shown
    )
    assert "next <!date^1768813200^" in shown
    assert "<#C2>" in shown
    assert "off: I could not post in the channel (I am not a member of the channel" in shown
    assert "not_in_channel" not in shown  # Slack's code is for the log


def test_app_home_with_many_digests_stays_within_one_section() -> None:
    blocks = digest_home_blocks([scheduled(f"C{number:04d}") for number in range(200)], "/cortex")

    text = blocks[0].to_dict()["text"]["text"]
    assert len(blocks) == 1
    assert len(text) <= LIMITS["section text"]
    assert text.endswith("more")


def test_app_home_without_digests_says_how_to_schedule_one() -> None:
    assert "`/svc digest daily`" in str(digest_home_blocks([], "/svc")[0].to_dict())
