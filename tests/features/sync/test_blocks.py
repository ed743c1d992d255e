"""The sync's Slack messages as pure data, and the progress message's once-a-second updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sync import Action, FieldDiff, Status, SyncProgress, SyncReport, SyncStatus
from bot.sync.report import ChangeLine, Counts
from handlers.common import ids
from handlers.common.home import sync_home_blocks
from handlers.common.kit import Message
from handlers.common.live import LiveMessage
from handlers.common.mrkdwn import Mrkdwn
from handlers.sync.blocks import (
    plan_message,
    progress_message,
    status_message,
    summary_message,
)

STARTED = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def report(**fields: Any) -> SyncReport:
    values: dict[str, Any] = {
        "team_id": "T1",
        "triggered_by": "U0ADMIN",
        "dry_run": False,
        "status": Status.SUCCEEDED,
        "started_at": STARTED,
        "finished_at": STARTED + timedelta(seconds=125),
    }
    return SyncReport.model_validate(values | fields)


def rendered(message: Message) -> str:
    return str([block.to_dict() for block in message.blocks])


def test_progress_shows_how_many_services_are_written() -> None:
    message = progress_message(SyncProgress("applying", done=250, total=1000, failed=2), "U0ADMIN")

    assert "250 of 1,000 services written, 2 failed" in rendered(message)
    assert "`█████░░░░░░░░░░░░░░░`" in rendered(message)


def test_a_large_summary_stays_within_slacks_limits_and_says_how_many_more() -> None:
    lines = [
        ChangeLine(action=Action.CREATE, tag=f"svc-{n}", name=f"Service <{n}>") for n in range(50)
    ]
    big = report(
        counts=Counts(created=4000, failed=30),
        changes=tuple(lines),
        errors=tuple(f"svc-{n}: Rootly: nope (HTTP 422)" for n in range(20)),
        status=Status.PARTIAL,
    )

    message = summary_message(big)

    text = rendered(message)
    assert "4000 created, 30 failed" in message.text
    assert "…and 4,015 more" in text  # changes: 4030 attempted, 15 shown
    assert "…and 25 more" in text  # errors: 30 failed, 5 shown
    assert "Service &lt;3&gt;" in text
    assert "took 2 min 5 s" in text
    assert len(message.blocks) <= 50
    assert all(
        len(block.to_dict().get("text", {}).get("text", "")) <= 3000 for block in message.blocks
    )


def test_progress_says_when_it_waits_for_a_rate_limit_and_until_when() -> None:
    until = STARTED + timedelta(seconds=40)
    waiting = SyncProgress("applying", 100, 5000, waiting_for="Rootly", waiting_until=until)

    text = rendered(progress_message(waiting, "U0ADMIN"))
    going = rendered(progress_message(SyncProgress("applying", 100, 5000), "U0ADMIN"))

    assert "Waiting for Rootly's rate limit" in text
    assert f"<!date^{int(until.timestamp())}^" in text
    assert "Waiting" not in going


def test_a_plan_shows_before_and_after_within_slacks_limits() -> None:
    long = "<!channel> " + "words " * 40
    diffs = tuple(
        FieldDiff(attribute=attribute, before=long, after=long.upper())
        for attribute in ("name", "description", "github_repository_name", "pagerduty_id")
    )
    lines = [
        ChangeLine(action=Action.UPDATE, tag=f"svc-{n}", name=f"S{n}", fields=(), diffs=diffs)
        for n in range(50)
    ]
    plan = report(dry_run=True, counts=Counts(updated=5000), changes=tuple(lines))

    message = plan_message(plan)

    text = rendered(message)
    assert "description: &lt;!channel&gt; words" in text
    assert "<!channel>" not in text
    assert "…and " in text
    sections = [block.to_dict().get("text", {}).get("text", "") for block in message.blocks]
    assert all(len(section) <= 3000 for section in sections)
    changes = next(section for section in sections if section.startswith("*Changes*"))
    shown = changes.count("• update")
    assert shown >= 2
    assert changes.endswith(f"…and {5000 - shown:,} more")


def test_a_dry_run_with_changes_offers_apply_and_one_without_does_not() -> None:
    planned = report(
        dry_run=True,
        counts=Counts(created=1, unchanged=3),
        changes=(ChangeLine(action=Action.CREATE, tag="a", name="A"),),
    )
    in_step = report(dry_run=True, counts=Counts(unchanged=4))

    assert ids.SYNC_APPLY in rendered(plan_message(planned))
    assert "1 to create, 3 unchanged" in plan_message(planned).text
    assert ids.SYNC_APPLY not in rendered(plan_message(in_step))
    assert "Nothing to write" in plan_message(in_step).text


def test_status_and_home_show_the_last_sync_and_the_schedule() -> None:
    failed = report(status=Status.FAILED, errors=("Cortex: server error (HTTP 503)",))
    status = SyncStatus(last=failed, schedule=None, running=True)

    text = rendered(status_message(status, "/cortex"))
    home = str(
        [block.to_dict() for block in sync_home_blocks(status, "/cortex", rootly_connected=True)]
    )

    assert "A sync is running now" in text
    assert "failed" in text
    assert "HTTP 503" in text
    assert "Automatic sync: off" in home
    assert "`/svc connect`" in str(
        [block.to_dict() for block in sync_home_blocks(status, "/svc", rootly_connected=False)]
    )


class RecordingClient:
    def __init__(self) -> None:
        self.updates: list[tuple[float, str]] = []

    async def chat_update(self, **message: Any) -> None:
        self.updates.append((time.monotonic(), message["text"]))


async def test_the_progress_message_is_updated_at_most_once_an_interval_latest_state_first() -> (
    None
):
    client = RecordingClient()
    interval = 0.05
    live = LiveMessage(client, "C1", "1.0", interval=interval)  # type: ignore[arg-type]

    async with live.updating():
        for step in range(40):
            live.show(Message(Mrkdwn("step {}").format(step), []))
            await asyncio.sleep(interval / 10)
    await live.finish(Message(Mrkdwn("done"), []))

    moments = [moment for moment, _ in client.updates]
    assert all(later - earlier >= interval for earlier, later in itertools.pairwise(moments))
    texts = [text for _, text in client.updates]
    assert texts[-1] == "done"
    steps = [int(text.split()[1]) for text in texts[:-1]]
    assert steps == sorted(steps)
    assert 1 <= len(steps) < 40 / 5  # intermediate states were skipped, not queued
