"""`/cortex sync` end to end: signed Slack requests in; the fake Slack, Cortex and Rootly around."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sync import Status, SyncEngine
from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.fakes.slack import Call
from tests.support.services import rootly_by_cortex_id, seed_services, services_written
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, SlackApp


async def connect(app: SlackApp, rootly_key: str | None = ROOTLY_KEY) -> None:
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, rootly_key), connected_by=ADMIN
    )


async def final_update(app: SlackApp, marker: str) -> Call:
    """The chat.update that ends a sync's progress message (the one that says `marker`)."""
    found = await app.slack.wait_for(
        lambda: [c for c in app.slack.calls_to("chat.update") if marker in str(c.args)],
        what=f"a chat.update saying {marker!r}",
    )
    return found[0]  # type: ignore[no-any-return]


def text_of(call_or_message: Any) -> str:
    args = call_or_message.args if isinstance(call_or_message, Call) else call_or_message
    return f"{args.get('text')} {args.get('blocks')}"


async def shared_file(app: SlackApp) -> dict[str, Any]:
    await app.slack.next_call("files.completeUploadExternal")
    (file,) = app.slack.files.values()
    return file


async def test_a_sync_posts_its_progress_in_the_channel_and_ends_with_the_summary(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    tags = seed_services(slack_app.cortex, 6)

    await slack_app.command("sync")
    posted = await slack_app.slack.next_call("chat.postMessage")
    final = await final_update(slack_app, "6 created")
    file = await shared_file(slack_app)

    assert posted.args["channel"] == CHANNEL
    assert "Listing the services" in text_of(posted)
    updates = slack_app.slack.calls_to("chat.update")
    assert len({call.args["ts"] for call in updates}) == 1  # one message, updated in place
    assert final is updates[-1]
    assert f"<@{ADMIN}>" in text_of(final)
    assert sorted(rootly_by_cortex_id(slack_app.rootly)) == tags
    assert slack_app.slack.responses == []  # news for the channel, nothing private
    # The summary counts the creates; every one is named in a file in its thread.
    assert "every change is listed in a file in the thread" in text_of(final)
    assert (file["channel"], file["thread_ts"]) == (CHANNEL, final.args["ts"])
    content = file["content"].decode()
    assert content.startswith(f"Sync of workspace {TEAM}: 6 created.")
    assert all(f"  {tag}  " in content for tag in tags)


async def test_a_file_slack_refuses_is_said_in_the_thread(slack_app: SlackApp) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 2)
    slack_app.slack.failures["files.getUploadURLExternal"] = "missing_scope"

    await slack_app.command("sync")
    summary = await final_update(slack_app, "2 created")
    said = await slack_app.slack.next_call("chat.postMessage", 2)

    assert said.args["thread_ts"] == summary.args["ts"]
    assert "could not share the file with every change (the app lacks a permission" in (
        text_of(said)
    )


async def test_a_dry_run_whose_file_cannot_reach_the_admin_says_so_privately(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 2)
    slack_app.slack.failures["chat.postMessage"] = "channel_not_found"

    await slack_app.command("sync dry-run")
    plan = await slack_app.slack.next_response()
    said = await slack_app.slack.next_response(2)

    assert "2 to create" in text_of(plan)
    assert "could not share the file with every change (I cannot see the channel" in (said["text"])
    assert said["response_type"] == "ephemeral"
    assert slack_app.slack.files == {}


async def test_a_second_sync_while_one_runs_is_told_so(slack_app: SlackApp) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 20)
    slack_app.rootly.latency = 0.1

    await slack_app.command("sync")
    await slack_app.slack.next_call("chat.postMessage")
    await slack_app.command("sync")
    answer = await slack_app.slack.next_response()
    await final_update(slack_app, "20 created")

    assert "already running" in answer["text"]
    assert answer["response_type"] == "ephemeral"
    assert len(slack_app.slack.calls_to("chat.postMessage")) == 1
    assert services_written(slack_app.rootly) == 20


async def test_a_sync_that_stops_says_why_in_its_message(slack_app: SlackApp) -> None:
    await connect(slack_app)  # and Cortex lists no services at all

    await slack_app.command("sync")
    final = await final_update(slack_app, "stopped")

    assert "no services" in text_of(final)
    assert slack_app.rootly.count("POST") == 0


async def test_a_channel_the_bot_cannot_post_in_is_explained_and_frees_the_sync(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 2)
    slack_app.slack.failures["chat.postMessage"] = "not_in_channel"

    await slack_app.command("sync")
    answer = await slack_app.slack.next_response()
    await slack_app.command("sync")
    await final_update(slack_app, "2 created")

    assert "I am not a member of the channel: invite me to it" in answer["text"]
    assert "not_in_channel" not in answer["text"]  # Slack's code is for the log


async def test_members_cannot_sync_preview_or_schedule(slack_app: SlackApp) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 2)

    for text in ("sync", "sync dry-run", "sync auto hourly"):
        await slack_app.command(text, user=MEMBER)
    answers = [await slack_app.slack.next_response(n) for n in (1, 2, 3)]

    assert all("Only workspace admins" in answer["text"] for answer in answers)
    assert slack_app.rootly.received == []
    assert await SyncEngine(slack_app.services).schedules.get(TEAM) is None


async def test_without_rootly_the_answer_points_to_connect(slack_app: SlackApp) -> None:
    await connect(slack_app, rootly_key=None)

    await slack_app.command("sync")
    answer = await slack_app.slack.next_response()

    assert "/cortex connect" in answer["text"]
    assert "Rootly" in answer["text"]
    assert slack_app.slack.calls_to("chat.postMessage") == []


async def test_a_dry_run_shows_the_plan_and_apply_runs_it(slack_app: SlackApp) -> None:
    await connect(slack_app)
    tags = seed_services(slack_app.cortex, 3)
    slack_app.rootly.add_service("Svc 0001")

    await slack_app.command("sync dry-run")
    plan = await slack_app.slack.next_response()

    dm = await slack_app.slack.next_call("chat.postMessage")
    file = await shared_file(slack_app)

    assert plan["response_type"] == "ephemeral"
    assert "2 to create, 1 to adopt" in text_of(plan)
    (apply,) = [
        element
        for block in plan["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == ids.SYNC_APPLY
    ]
    assert apply["confirm"]["title"]["text"] == "Write to Rootly?"
    assert "in your messages with me" in text_of(plan)
    assert dm.args["channel"] == ADMIN  # the app's DM with the admin: ephemerals have no thread
    assert "Every change is in the file in the thread" in text_of(dm)
    assert file["channel"] == f"D{ADMIN[1:]}"
    assert f"To adopt (1)\n  {tags[1]}  Svc 0001" in file["content"].decode()
    assert slack_app.rootly.count("POST") + slack_app.rootly.count("PUT") == 0

    await slack_app.click(ids.SYNC_APPLY)
    applied = await slack_app.slack.next_response(2)
    await final_update(slack_app, "2 created, 1 adopted")

    assert applied["replace_original"] is True
    assert sorted(rootly_by_cortex_id(slack_app.rootly)) == tags
    assert len(slack_app.rootly.services) == 3


async def test_status_shows_the_last_result_to_everyone(slack_app: SlackApp) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 4)

    await slack_app.command("sync status", user=MEMBER)
    before = await slack_app.slack.next_response()
    await SyncEngine(slack_app.services).run(TEAM, triggered_by=ADMIN)
    await slack_app.command("sync status", user=MEMBER)
    after = await slack_app.slack.next_response(2)

    assert "No sync has run" in text_of(before)
    assert "Automatic sync: off" in text_of(before)
    assert "Last sync" in text_of(after)
    assert f"<@{ADMIN}>" in text_of(after)
    assert "4 created" in text_of(after)


@pytest.mark.parametrize("frequency", ["hourly", "daily"])
async def test_auto_schedules_and_off_stops_the_workspaces_syncs(
    slack_app: SlackApp, frequency: str
) -> None:
    await connect(slack_app)
    schedules = SyncEngine(slack_app.services).schedules

    await slack_app.command(f"sync auto {frequency}")
    on = await slack_app.slack.next_response()
    stored = await schedules.get(TEAM)
    await slack_app.command("sync auto off")
    off = await slack_app.slack.next_response(2)

    assert f"Automatic sync: {frequency}, next" in on["text"]
    assert stored is not None
    assert (stored.frequency, stored.set_by) == (frequency, ADMIN)
    assert "Automatic sync: off" in off["text"]
    assert await schedules.get(TEAM) is None


async def test_a_sync_stopped_by_a_shutdown_says_so_and_frees_the_workspace(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    seed_services(slack_app.cortex, 40)
    slack_app.rootly.latency = 0.2
    await slack_app.command("sync")
    await slack_app.slack.wait_for(lambda: slack_app.rootly.count("POST") >= 1, "the first write")

    await slack_app.services.tasks.aclose(grace=0)  # what SIGTERM does once the grace is over
    status = await slack_app.services.sync.status(TEAM)
    said = await final_update(slack_app, "interrupted")
    await slack_app.command("sync status", user=MEMBER)
    shown = await slack_app.slack.next_response()

    assert status.last is not None
    assert status.last.status is Status.INTERRUPTED
    assert not status.running  # the lease was released, not left to expire
    assert "the bot was stopped while it ran" in text_of(said)
    assert "interrupted (the bot was stopped); run it again" in str(shown["blocks"])
