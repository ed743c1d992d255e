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
from bot.cortex.models import CustomEvent, Deploy, Entity
from bot.digests import Digest, DigestContent, Recurrence, Scope, ServiceActivity, Window
from bot.digests.content import build_content
from bot.storage import create_engine
from bot.sync import Status, SyncReport
from bot.sync.runs import SyncRuns
from handlers.common.home import digest_home_blocks
from handlers.common.kit import MESSAGE_BUDGET, Message, weight
from handlers.digests.blocks import MAX_REPLIES, details_file, details_text, digest_post
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


def shown(message: Message) -> list[str]:
    """The text of each of a message's blocks (a context's first element)."""
    texts = []
    for block in message.blocks:
        found = block.to_dict()
        texts.append((found.get("text") or found["elements"][0])["text"])
    return texts


def within_slack_limits(message: Message) -> bool:
    """Within Slack's limits as built, so that the message is sent whole (nothing `capped`)."""
    sections = [block.to_dict() for block in message.blocks if block.type == "section"]
    longest = max(len(section.get("text", {}).get("text", "")) for section in sections)
    return (
        len(message.blocks) <= LIMITS["message blocks"]
        and longest <= LIMITS["section text"]
        and sum(map(weight, message.blocks)) <= MESSAGE_BUDGET
    )


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
    # A rollback is counted once, as a rollback.
    assert (content.deploys, content.rollbacks, content.events, content.in_scope) == (3, 1, 1, 3)


async def test_the_summary_counts_each_kind_once_then_what_needs_eyes_by_owner_team(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)

    post = digest_post(await build(digest_catalog, runs), "daily")
    blocks = shown(post.summary)

    assert blocks[0].startswith("*Daily digest* · all services (3 services) · since <!date^")
    assert blocks[0].endswith("\n3 deploys · 1 rollback · 1 custom event")
    assert post.summary.text == "Daily digest: 3 deploys · 1 rollback · 1 custom event"
    assert blocks[1].split("\n") == [
        "*Needs eyes first: rollbacks and production changes*",
        "*Team-Pay* — 1 service, 1 rollback",
        ":rewind: *Payments API* rolled back in *prod*: back to 1 by Bo Deployer _(+1 more)_",
        "*No owner team* — 1 service",
        ":rocket: *Search* deployed to *prod*: index v7 by Bo Deployer",
    ]
    assert "release 2" not in str(blocks)  # staging: in the thread
    assert blocks[2] == (
        ":thread: Also 1 deploy outside production and 1 custom event: "
        "every service with activity (2) is in the thread."
    )
    assert len(blocks) == 3
    assert "too old" not in str(blocks)


async def test_the_thread_has_every_service_production_first_each_environment_named(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("docs", "Docs")
    fake_cortex.add_deploy("docs", "typo", NOW - timedelta(minutes=5), environment="staging")
    seed_activity(fake_cortex)

    post = digest_post(await build(digest_catalog, runs), "daily")
    [reply] = post.details
    [details] = shown(reply)

    # Services with rollbacks or production changes first, however recent the others.
    search, payments, docs = details.split("\n\n")
    assert search.startswith("*Search* `search` — 1 deploy\n")
    assert docs.startswith("*Docs* `docs` — 1 deploy\n")
    lines = payments.split("\n")
    assert lines[0] == "*Payments API* `payments-api` — 2 deploys, 1 rollback, 1 event"
    assert lines[1].startswith("• :rewind: back to 1 (rollback) to *prod* by Bo Deployer")
    assert lines[2].startswith("• release 1 to *prod*")
    assert lines[3].startswith("• release 2 to *staging*")
    assert lines[4].startswith("• :pushpin: Card network degraded (INCIDENT)")
    assert reply.text == "Daily digest: the details"
    assert post.file is None  # the reply holds every service


async def test_an_environment_narrows_the_deploys_and_production_has_its_usual_names(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)
    fake_cortex.add_deploy("search", "eu", NOW - timedelta(minutes=9), environment="Production")

    staging = await build(digest_catalog, runs, Scope(environment="STAGING"))
    production = await build(digest_catalog, runs, Scope(environment="production"))

    [payments] = staging.activity
    assert [deploy.title for deploy in payments.deploys] == ["release 2"]
    assert len(payments.events) == 1  # custom events have no environment: all of them
    assert "all services, deploys to `STAGING`" in shown(digest_post(staging).summary)[0]
    titles = {s.entity.tag: [d.title for d in s.deploys] for s in production.activity}
    assert titles == {"search": ["eu", "index v7"], "payments-api": ["back to 1", "release 1"]}


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
    assert (
        "services in group `discovery` owned by `team-pay`"
        in shown(digest_post(by_both).summary)[0]
    )


async def test_services_created_or_archived_since_the_last_digest(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    fake_cortex.add_service("kept", "Kept")
    fake_cortex.add_service("retired", "Retired", archived=True)
    fake_cortex.add_service("long-gone", "Long Gone", archived=True)
    fake_cortex.add_service("brand-new", "Brand New")
    previous = {"kept": False, "retired": False, "long-gone": True}

    content = await build(digest_catalog, runs, previous=previous)
    post = digest_post(content, "weekly")

    assert [e.tag for e in content.created] == ["brand-new"]
    assert [e.tag for e in content.archived] == ["retired"]
    assert content.snapshot == {
        "kept": False,
        "retired": True,
        "long-gone": True,
        "brand-new": False,
    }
    summary = shown(post.summary)
    assert summary[0].endswith("\n1 new service · 1 archived service")
    assert summary[1] == "*New:* Brand New · *Archived:* Retired"
    assert post.details == ()  # the summary said it all


async def test_catalog_changes_too_many_for_the_summary_are_all_in_the_thread(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    for number in range(40):
        fake_cortex.add_service(f"new-{number:02d}", f"New Service {number:02d}")

    post = digest_post(await build(digest_catalog, runs, previous={}), "weekly")

    assert shown(post.summary)[1].endswith("…")
    assert shown(post.summary)[2] == (
        ":thread: Details: every new and archived service is in the thread."
    )
    [details] = shown(post.details[0])
    assert details.startswith("*New:* New Service 00, New Service 01,")
    assert details.endswith(", New Service 39")


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

    post = digest_post(await build(digest_catalog, runs, previous={"quiet": False}), "daily")

    assert len(post.summary.blocks) == 1
    assert "\n" not in shown(post.summary)[0]
    assert "nothing new" in post.summary.text
    assert post.details == ()  # no thread


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
    seed_activity(fake_cortex)
    summary = digest_post(await build(digest_catalog, runs), "daily").summary

    last = summary.blocks[-1].to_dict()
    assert last["type"] == "context"  # at the end, small
    assert shown(summary)[-1].startswith("Last Rootly sync <!date^")
    assert shown(summary)[-1].endswith(": succeeded — 3 created, 9 unchanged")


def characters(message: Message) -> int:
    """All the text a message's blocks show, markup included."""
    return sum(len(text) for text in shown(message))


async def test_270_services_make_a_one_screen_summary_and_the_details_go_to_the_thread(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    for number in range(270):
        tag = f"svc-{number:03d}"
        fake_cortex.add_service(tag, f"Service {number:03d}", teams=(f"team-{number % 9}",))
        for deploy in range(4):
            title = f"release {deploy} " + "with a long description " * 4
            when = NOW - timedelta(minutes=number * 4 + deploy + 1)
            kind = "ROLLBACK" if deploy == 0 and number % 30 == 0 else "DEPLOY"
            environment = "production" if deploy % 2 else "staging"
            fake_cortex.add_deploy(
                tag, title, when, environment=environment, deployer=BO, type=kind
            )

    content = await build(digest_catalog, runs)
    post = digest_post(content, "daily")

    assert (content.deploys, content.rollbacks) == (1071, 9)
    assert len(post.summary.blocks) < 15
    assert characters(post.summary) < 3000
    summary = shown(post.summary)
    assert summary[0].endswith("\n1,071 deploys · 9 rollbacks")
    eyes = summary[1].split("\n")
    assert eyes[1] == "*Team-0* — 30 services, 3 rollbacks"  # teams with rollbacks first
    assert eyes[2].startswith(":rewind: *Service 000* rolled back in *staging*: release 0 with")
    assert len(eyes) == 1 + 5 * 3 + 1  # five teams, two services each
    assert eyes[-1] == "…and 4 more teams (120 services)"
    # So many busy services take more text than Slack takes in the thread's replies.
    assert len(post.details) == MAX_REPLIES
    for reply in post.details:
        assert within_slack_limits(reply)
    thread = "".join(text for reply in post.details for text in shown(reply))
    listed = thread.count("`svc-")
    assert all(f"`svc-{number:03d}`" in thread for number in range(listed))
    assert thread.index("`svc-000`") < thread.index("`svc-001`")
    assert thread.endswith(f"…and {270 - listed:,} more services: every one is in the file below")
    # ...and the file after them has every service, the last one too.
    assert post.file is not None
    assert all(f"(svc-{number:03d})" in post.file.content for number in range(270))


def test_a_thread_longer_than_its_cap_says_how_much_it_left_out() -> None:
    title = "release " + "with a very long description " * 20
    activity = tuple(
        ServiceActivity(
            Entity.model_validate({"tag": f"svc-{number:04d}", "name": f"Svc {number:04d}"}),
            deploys=(
                Deploy.model_validate(
                    {"uuid": "u", "title": title, "type": "DEPLOY", "timestamp": NOW}
                ),
            ),
        )
        for number in range(1200)
    )
    content = DigestContent(ALL, WINDOW, 1200, activity, (), (), (), None, False, {})

    details = digest_post(content).details

    assert len(details) == MAX_REPLIES
    assert all(within_slack_limits(reply) for reply in details)
    listed = sum(text.count("`svc-") for reply in details for text in shown(reply))
    assert shown(details[-1])[-1] == (
        f"…and {1200 - listed:,} more services: every one is in the file below"
    )


def deploy(title: str, minutes_ago: int, environment: str | None, **fields: Any) -> Deploy:
    when = NOW - timedelta(minutes=minutes_ago)
    return Deploy.model_validate(
        {"uuid": "u", "title": title, "type": "DEPLOY", "timestamp": when}
        | {"environment": environment, "deployer": BO}
        | fields
    )


def entity(tag: str, name: str) -> Entity:
    return Entity.model_validate({"tag": tag, "name": name})


def test_the_file_has_every_detail_in_plain_text_needing_eyes_first() -> None:
    docs = ServiceActivity(
        entity("docs", "Docs"),
        deploys=(deploy("typo fix", 5, "staging", deployer=None),),
    )
    event = CustomEvent.model_validate(
        {
            "uuid": "e",
            "type": "INCIDENT",
            "title": "Card network <degraded>",
            "timestamp": NOW - timedelta(hours=4),
            "url": "https://status.example.com/1?a=1&b=2",
        }
    )
    payments = ServiceActivity(
        entity("payments-api", "Payments & <API>"),
        deploys=(
            deploy("release 2", 60, "staging"),
            deploy("*back* to 1\n\x1b[31mred", 120, "prod", type="ROLLBACK", sha="1a2b3c4d5e6f"),
            deploy("release 1 <b>", 180, "prod", url="https://ci.example.com/9"),
        ),
        events=(event,),
    )
    unreadable = ServiceActivity(entity("search", "Search"), problem="Cortex answered 500")
    content = DigestContent(
        ALL,
        WINDOW,
        5,
        (docs, payments),
        (unreadable,),
        (entity("fraud", "Fraud Check"),),
        (entity("old-billing", "Old Billing"),),
        None,
        False,
        {},
    )

    text = details_text(content, "daily")

    assert text == (
        "Daily digest, 2026-01-14 17:00 UTC to 2026-01-15 17:00 UTC: "
        "3 deploys · 1 rollback · 1 custom event · 1 new service · 1 archived service.\n"
        "\n"
        "Services with activity (2), those needing eyes first\n"
        "\n"
        "Payments & <API> (payments-api): 2 deploys, 1 rollback, 1 event\n"
        "  - ROLLBACK, prod: *back* to 1 [31mred (sha 1a2b3c4d5e) by Bo Deployer, "
        "2026-01-15 15:00 UTC\n"
        "  - deploy, prod: release 1 <b> by Bo Deployer, 2026-01-15 14:00 UTC, "
        "https://ci.example.com/9\n"
        "  - deploy, staging: release 2 by Bo Deployer, 2026-01-15 16:00 UTC\n"
        "  - event INCIDENT: Card network <degraded>, 2026-01-15 13:00 UTC, "
        "https://status.example.com/1?a=1&b=2\n"
        "\n"
        "Docs (docs): 1 deploy\n"
        "  - deploy, staging: typo fix by someone, 2026-01-15 16:55 UTC\n"
        "\n"
        "New services (1)\n"
        "  fraud  Fraud Check\n"
        "\n"
        "Archived services (1)\n"
        "  old-billing  Old Billing\n"
        "\n"
        "Cortex did not tell the activity of (1)\n"
        "  search  Search (Cortex answered 500)\n"
    )
    file = details_file(content, "daily")
    assert (file.name, file.title, file.content) == (
        "digest-2026-01-15-1700.txt",
        "Daily digest: every service's details",
        text,
    )


async def test_a_service_cortex_will_not_tell_about_is_noted_and_the_rest_still_shown(
    fake_cortex: FakeCortex, digest_catalog: Catalog, runs: SyncRuns
) -> None:
    seed_activity(fake_cortex)
    fake_cortex.faults += [Fault(status=500, path_contains="/search/deploys") for _ in range(3)]

    content = await build(digest_catalog, runs)
    post = digest_post(content, "daily")

    assert [service.entity.tag for service in content.activity] == ["payments-api"]
    assert [service.entity.tag for service in content.unreadable] == ["search"]
    note = ":warning: Cortex did not tell the activity of 1 service (named in the thread)"
    assert note in shown(post.summary)
    assert shown(post.details[0])[-1].endswith("*Cortex did not tell the activity of:* `search`")


async def test_reads_run_concurrently_and_a_second_digest_reuses_the_cache(
    fake_cortex: FakeCortex, patient_cortex: CortexClient, runs: SyncRuns
) -> None:
    # The patient client never retries, so a loaded machine cannot add requests to the count.
    digest_catalog = Catalog(patient_cortex, ResponseCache(), TEAM)
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
