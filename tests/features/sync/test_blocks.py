"""The sync's Slack messages as pure data, and the progress message's once-a-second updates."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sync import Action, FieldDiff, Status, SyncProgress, SyncReport, SyncStatus
from bot.sync.report import ChangeLine, Counts, plan_text
from handlers.common import ids
from handlers.common.home import sync_home_blocks
from handlers.common.kit import MESSAGE_BUDGET, Message, weight
from handlers.common.live import LiveMessage
from handlers.common.mrkdwn import Mrkdwn
from handlers.sync.blocks import (
    lists_everything,
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


def test_progress_shows_how_many_services_are_written_as_plain_text_not_code() -> None:
    message = progress_message(SyncProgress("applying", done=250, total=1000, failed=2), "U0ADMIN")

    text = rendered(message)
    assert "█████░░░░░░░░░░░░░░░  250 of 1,000 services written, 2 failed" in text
    assert "`" not in text  # Slack shows code in red: a healthy sync would look like an error


def sections_of(message: Message) -> list[str]:
    return [
        str(block.to_dict().get("text", {}).get("text", "")) or str(block.to_dict())
        for block in message.blocks
    ]


def test_a_large_summary_leads_with_errors_counts_its_creates_and_stays_within_limits() -> None:
    creates = [
        ChangeLine(action=Action.CREATE, tag=f"svc-{n}", name=f"Service <{n}>") for n in range(4030)
    ]
    failed = [line.model_copy(update={"error": "Rootly: nope"}) for line in creates[:30]]
    big = report(
        counts=Counts(created=4000, failed=30),
        changes=(*failed, *creates[30:]),
        errors=tuple(f"svc-{n}: Rootly: nope (HTTP 422)" for n in range(30)),
        status=Status.PARTIAL,
    )

    message = summary_message(big)

    sections = sections_of(message)
    assert "4,000 created, 30 failed" in message.text
    assert sections[1].startswith("*Errors* (30)\n• svc-0: Rootly: nope (HTTP 422)")
    assert sections[1].endswith("…and 25 more")
    assert "*Created* (4,000): services new to Rootly" in sections[2]
    assert "svc-100" not in rendered(message)  # plain creates are a count, the file names them
    assert "every change is listed in a file in the thread" in sections[-1]
    assert "took 2 min 5 s" in sections[-1]
    assert not lists_everything(big)
    assert len(message.blocks) <= 50
    assert all(len(section) <= 3000 for section in sections)


def plan_of(*changes: ChangeLine, **fields: Any) -> SyncReport:
    made = [line.action for line in changes]
    counts = Counts(
        created=made.count(Action.CREATE),
        updated=made.count(Action.UPDATE),
        adopted=made.count(Action.ADOPT),
        **fields.pop("counts", {}),
    )
    return report(dry_run=True, counts=counts, changes=changes, **fields)


def test_a_plan_lists_what_needs_a_person_first_and_only_then_counts_the_creates() -> None:
    name = FieldDiff(attribute="name", before="pay", after="Payments <API>")
    plan = plan_of(
        ChangeLine(action=Action.ADOPT, tag="ledger", name="Ledger", diffs=(name,)),
        ChangeLine(
            action=Action.UPDATE,
            tag="payments-api",
            name="Payments",
            diffs=(name, FieldDiff(attribute="pagerduty_id", before=None, after="P1")),
        ),
        *(ChangeLine(action=Action.CREATE, tag=f"new-{n}", name=f"New {n}") for n in range(300)),
        counts={"conflicts": 1, "archived_upstream": 1, "unchanged": 7},
        conflicts=("checkout: 2 Rootly services are named Checkout",),
        archived_upstream=("old-billing",),
    )

    sections = sections_of(plan_message(plan))

    assert sections[0].startswith(
        "*Dry run of the Cortex → Rootly sync*: 300 to create, 1 to update, 1 to adopt, "
        "7 unchanged, 1 in conflict, 1 archived in Cortex."
    )
    titles = [section.split("*")[1] for section in sections[1:6]]
    assert titles == [
        "Conflicts, not written until the names are unambiguous in Rootly or Cortex",
        "Archived in Cortex, left in Rootly",
        "To adopt",
        "To update",
        "To create",
    ]
    assert (
        "• `payments-api` Payments\n      name: pay → Payments &lt;API&gt;\n"
        "      PagerDuty service: _empty_ → P1"  # Rootly's pagerduty_id, in words
    ) in sections[4]
    assert (
        sections[5]
        == "*To create* (300): services new to Rootly, named and described as in Cortex."
    )
    assert "new-1" not in str(sections)


def test_adopted_and_archived_in_cortex_are_explained_once_in_a_legend() -> None:
    adopting = plan_of(ChangeLine(action=Action.ADOPT, tag="ledger", name="Ledger"))
    updating = plan_of(ChangeLine(action=Action.UPDATE, tag="ledger", name="Ledger"))

    archiving = plan_of(
        ChangeLine(action=Action.UPDATE, tag="ledger", name="Ledger"),
        counts={"archived_upstream": 1},
        archived_upstream=("old",),
    )

    text = rendered(plan_message(adopting))
    archived = rendered(plan_message(archiving))

    assert text.count("Adopted: a Rootly service made by hand") == 1
    assert "Archived in Cortex: the service is no longer" not in text
    assert archived.count("Archived in Cortex: the service is no longer") == 1
    assert "Adopted:" not in archived
    assert "Adopted:" not in rendered(plan_message(updating))


def test_a_plan_shows_before_and_after_within_slacks_limits() -> None:
    long = "<!channel> " + "words " * 40
    diffs = tuple(
        FieldDiff(attribute=attribute, before=long, after=long.upper())
        for attribute in ("name", "description", "github_repository_name", "pagerduty_id")
    )
    lines = [
        ChangeLine(action=Action.UPDATE, tag=f"svc-{n}", name=f"S{n}", fields=(), diffs=diffs)
        for n in range(5000)
    ]
    plan = plan_of(*lines)

    message = plan_message(plan)

    text = rendered(message)
    assert "description: &lt;!channel&gt; words" in text
    assert "<!channel>" not in text
    sections = sections_of(message)
    assert all(len(section) <= 3000 for section in sections)
    updates = next(section for section in sections if section.startswith("*To update* (5,000)"))
    shown = updates.count("• `svc-")
    assert shown >= 2
    assert updates.endswith(f"…and {5000 - shown:,} more")
    assert "The full list is in a file in your messages with me." in sections[-1]


def test_a_plan_that_fits_says_nothing_of_a_file_and_one_that_does_not_says_where_it_is() -> None:
    small = plan_of(ChangeLine(action=Action.UPDATE, tag="a", name="A"))
    conflicted = plan_of(
        counts={"conflicts": 30}, conflicts=tuple(f"svc-{n}: two named this" for n in range(30))
    )

    assert lists_everything(small)
    assert "file" not in rendered(plan_message(small))
    assert not lists_everything(conflicted)
    assert "Nothing to write" in plan_message(conflicted).text
    assert "The full list is in a file in your messages with me." in rendered(
        plan_message(conflicted)
    )


def test_apply_asks_for_confirmation_saying_what_it_will_write() -> None:
    planned = plan_of(
        ChangeLine(action=Action.CREATE, tag="a", name="A"),
        ChangeLine(action=Action.UPDATE, tag="b", name="B"),
        counts={"unchanged": 3},
    )

    apply = next(
        element
        for block in plan_message(planned).blocks
        for element in block.to_dict().get("elements", [])
        if element.get("action_id") == ids.SYNC_APPLY
    )

    confirm = apply["confirm"]
    assert confirm["title"]["text"] == "Write to Rootly?"
    assert (
        "write 2 services to Rootly (1 to create, 1 to update); nothing is deleted"
        in (confirm["text"]["text"])
    )
    assert (confirm["confirm"]["text"], confirm["deny"]["text"]) == ("Apply", "Cancel")


def test_the_full_plan_is_every_change_in_the_order_a_person_reads_them() -> None:
    diff = FieldDiff(attribute="description", before=None, after="Moves <money>")
    plan = plan_of(
        *(ChangeLine(action=Action.CREATE, tag=f"new-{n}", name=f"New {n}") for n in range(4980)),
        ChangeLine(action=Action.UPDATE, tag="payments-api", name="Payments API", diffs=(diff,)),
        ChangeLine(action=Action.ADOPT, tag="ledger", name="Ledger"),
    )

    text = plan_text(plan)

    assert text.index("To adopt (1)\n  ledger  Ledger") < text.index("To update (1)")
    assert "  payments-api  Payments API\n      description: (empty) → Moves <money>" in text
    assert text.index("To update (1)") < text.index("To create (4,980)")
    assert all(f"  new-{n}  New {n}\n" in text for n in range(4979))
    assert text.endswith(
        "\n\nAdopted: a Rootly service made by hand, with the same name as a Cortex "
        "service, that the sync now keeps in step with it."
    )


def test_progress_says_when_it_waits_for_a_rate_limit_and_until_when() -> None:
    until = STARTED + timedelta(seconds=40)
    waiting = SyncProgress("applying", 100, 5000, waiting_for="Rootly", waiting_until=until)

    text = rendered(progress_message(waiting, "U0ADMIN"))
    going = rendered(progress_message(SyncProgress("applying", 100, 5000), "U0ADMIN"))

    assert "Waiting for Rootly's rate limit" in text
    assert f"<!date^{int(until.timestamp())}^" in text
    assert "Waiting" not in going


def test_a_dry_run_with_changes_offers_apply_and_one_without_does_not() -> None:
    planned = plan_of(ChangeLine(action=Action.CREATE, tag="a", name="A"), counts={"unchanged": 3})
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


def test_a_report_too_big_for_one_message_lists_what_fits_and_points_to_the_file() -> None:
    long = "a reason far longer than most, " * 18
    diff = FieldDiff(attribute="description", before=long, after=long.upper())
    big = plan_of(
        *(
            ChangeLine(action=action, tag=f"{action.value}-{n}", name=f"S{n}", diffs=(diff,))
            for action in (Action.ADOPT, Action.UPDATE)
            for n in range(40)
        ),
        counts={"conflicts": 40, "failed": 40},
        errors=tuple(f"svc-{n}: Rootly: {long}" for n in range(40)),
        conflicts=tuple(f"svc-{n}: two Rootly services are named {long}" for n in range(40)),
        notes=tuple(f"svc-{n}: kept as Rootly has it, {long}" for n in range(40)),
    )

    for message in (plan_message(big), summary_message(big)):
        assert message.payload()["blocks"] == list(message.blocks)  # Slack takes it whole
        assert sum(map(weight, message.blocks)) <= MESSAGE_BUDGET
        assert sections_of(message)[1].startswith("*Errors* (40)")
    assert not lists_everything(big)
    assert "The full list is in a file in your messages with me." in rendered(plan_message(big))
    assert "Apply" in rendered(plan_message(big))
    assert "every change is listed in a file in the thread" in rendered(summary_message(big))
