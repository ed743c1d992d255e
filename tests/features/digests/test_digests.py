"""`/cortex digest` end to end: signed Slack requests in, the fake Slack and Cortex around it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.digests import Digest, DigestStore
from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.slack import Call
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, SlackApp

WEST = "U0WEST"
LOS_ANGELES = "America/Los_Angeles"


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    """A connected workspace with a few services, and a member in Los Angeles."""
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    slack_app.slack.add_user(WEST, TEAM, name="Wes West", tz=LOS_ANGELES, tz_offset=-28800)
    cortex = slack_app.cortex
    cortex.add_service("payments-api", "Payments API", groups=("payments",))
    cortex.add_service("ledger", "Ledger", groups=("payments",))
    cortex.add_service("search", "Search")
    recently = datetime.now(UTC) - timedelta(hours=1)
    cortex.add_deploy("payments-api", "release 9", recently, environment="prod")
    cortex.add_deploy("search", "index v7", recently, environment="prod")
    return slack_app


async def answer_to(app: SlackApp, text: str, user: str = MEMBER) -> dict[str, Any]:
    return await app.answer(f"digest {text}", user=user)


async def digests_here(app: SlackApp) -> list[Digest]:
    return await DigestStore(app.services.engine).for_channel(TEAM, CHANNEL)


def delete_buttons(answer: dict[str, Any]) -> list[str]:
    return [
        block["accessory"]["value"]
        for block in answer["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.DIGEST_DELETE
    ]


async def test_nine_oclock_is_the_schedulers_own_nine_oclock(app: SlackApp) -> None:
    answer = await answer_to(app, "daily at 09:00 group=payments", user=WEST)

    [digest] = await digests_here(app)
    local = digest.next_due_at.astimezone(ZoneInfo(LOS_ANGELES))
    offset = local.utcoffset()
    assert offset is not None
    assert local.time() == time(9, 0)
    assert digest.next_due_at.hour == (9 - offset.total_seconds() // 3600) % 24  # 17:00 in winter
    assert digest.scope.group == "payments"
    assert answer["response_type"] == "in_channel"
    assert f"<@{WEST}> scheduled a daily at 09:00 (America/Los_Angeles)" in answer["text"]
    assert "(2 services in scope now)" in answer["text"]


async def test_a_weekly_digest_posts_on_the_day_it_was_scheduled_unless_told(
    app: SlackApp,
) -> None:
    await answer_to(app, "weekly")
    await answer_to(app, "weekly on=fri at 16:30 owner=team-pay")

    default, friday = await digests_here(app)
    today = datetime.now(ZoneInfo("Europe/Lisbon")).weekday()  # the admin's zone at the fake
    assert (default.recurrence.weekday, default.recurrence.at) == (today, time(9, 0))
    assert (friday.recurrence.weekday, friday.recurrence.at) == (4, time(16, 30))
    assert friday.next_due_at.astimezone(ZoneInfo("Europe/Lisbon")).weekday() == 4


async def test_the_list_has_a_delete_button_per_digest_and_a_click_deletes_one(
    app: SlackApp,
) -> None:
    await answer_to(app, "daily group=payments")
    await answer_to(app, "weekly")
    listed = await answer_to(app, "list")
    first, second = await digests_here(app)

    assert listed["response_type"] == "ephemeral"
    assert delete_buttons(listed) == [first.id, second.id]
    assert "daily at 09:00 (Europe/Lisbon), services in group `payments`" in str(listed)
    confirm = listed["blocks"][0]["accessory"]["confirm"]
    assert (confirm["title"]["text"], confirm["confirm"]["text"], confirm["deny"]["text"]) == (
        "Delete this digest?",
        "Delete",
        "Cancel",
    )
    assert "will no longer be posted in this channel" in confirm["text"]["text"]

    await app.click(ids.DIGEST_DELETE, value=first.id, user=MEMBER)
    updated = await app.slack.next_response(4)

    assert updated["replace_original"] is True
    assert delete_buttons(updated) == [second.id]
    assert [digest.id for digest in await digests_here(app)] == [second.id]


async def test_another_workspace_cannot_delete_a_digest(app: SlackApp) -> None:
    await answer_to(app, "daily")
    [digest] = await digests_here(app)

    await app.click(ids.DIGEST_DELETE, value=digest.id, team="T0OTHER")
    await app.slack.next_response(2)

    assert await digests_here(app) == [digest]


async def test_off_removes_the_channels_digests(app: SlackApp) -> None:
    await answer_to(app, "daily")
    await answer_to(app, "weekly group=payments")

    off = await answer_to(app, "off")
    listed = await answer_to(app, "list")
    again = await answer_to(app, "off")

    assert off["response_type"] == "in_channel"
    assert "turned off 2 digests here" in off["text"]
    assert await digests_here(app) == []
    assert "No digests are scheduled in this channel" in listed["text"]
    assert again["response_type"] == "ephemeral"


def summaries(app: SlackApp) -> list[Call]:
    """The digests posted in the channel (their details are replies in their threads)."""
    return [call for call in app.slack.calls_to("chat.postMessage") if "thread_ts" not in call.args]


def replied_to(app: SlackApp, reply: Call) -> dict[str, Any]:
    """The message whose thread `reply` was posted in."""
    return app.slack.messages[(reply.args["channel"], reply.args["thread_ts"])]


async def test_now_posts_a_summary_and_the_details_in_its_thread(app: SlackApp) -> None:
    await app.command("digest now")
    summary = await app.slack.next_call("chat.postMessage")
    reply = await app.slack.next_call("chat.postMessage", 2)
    await app.services.tasks.join()

    shown = str(summary.args["blocks"])
    assert summary.args["channel"] == CHANNEL
    assert "thread_ts" not in summary.args
    assert "*Digest* · all services (3 services)" in shown
    assert "*Needs eyes first: rollbacks and production changes*" in shown
    assert "*Payments API* deployed to *prod*: release 9" in shown
    assert reply.args["channel"] == CHANNEL
    assert replied_to(app, reply) is summary.args
    details = str(reply.args["blocks"])
    assert "*Payments API* `payments-api` — 1 deploy" in details
    assert "index v7 to *prod*" in details
    assert len(app.slack.calls_to("chat.postMessage")) == 2


async def test_now_with_several_digests_posts_one_summary_each_with_its_own_thread(
    app: SlackApp,
) -> None:
    await answer_to(app, "daily group=payments")
    await answer_to(app, "weekly env=production")

    await app.command("digest now")
    await app.slack.next_call("chat.postMessage", 4)
    await app.services.tasks.join()

    posts = app.slack.calls_to("chat.postMessage")
    assert ["thread_ts" in call.args for call in posts] == [False, True, False, True]
    assert replied_to(app, posts[1]) is posts[0].args
    assert replied_to(app, posts[3]) is posts[2].args
    assert "*Daily digest* · services in group `payments`" in str(posts[0].args["blocks"])
    weekly = str(posts[2].args["blocks"])
    assert "*Weekly digest* · all services, deploys to `production` (3 services)" in weekly


async def test_now_follows_the_channels_digest_and_leaves_its_schedule_alone(
    app: SlackApp,
) -> None:
    await answer_to(app, "daily group=payments")
    [before] = await digests_here(app)

    await app.command("digest now")
    summary = await app.slack.next_call("chat.postMessage")
    reply = await app.slack.next_call("chat.postMessage", 2)

    assert "*Daily digest* · services in group `payments` (2 services)" in str(summary.args)
    assert "release 9" in str(reply.args["blocks"])
    assert "index v7" not in str(summary.args) + str(reply.args)
    assert await digests_here(app) == [before]


async def test_an_environment_narrows_a_digest_and_is_said(app: SlackApp) -> None:
    answer = await answer_to(app, "daily env=staging")
    await app.command("digest now")
    summary = await app.slack.next_call("chat.postMessage")
    await app.services.tasks.join()

    [digest] = await digests_here(app)
    assert digest.scope.environment == "staging"
    assert "all services, deploys to `staging`" in answer["text"]
    assert "nothing new" in summary.args["text"]  # both deploys went to prod
    assert summaries(app) == [summary]


async def test_production_by_any_of_its_names_or_cases_is_one_digest(app: SlackApp) -> None:
    for asked in ("prod", "PROD", "Production", "live"):
        await answer_to(app, f"daily env={asked}")

    [digest] = await digests_here(app)
    assert digest.scope.environment == "production"


async def test_now_in_a_channel_the_bot_cannot_post_in_says_why(app: SlackApp) -> None:
    app.slack.failures["chat.postMessage"] = "not_in_channel"

    answer = await answer_to(app, "now")

    assert answer["response_type"] == "ephemeral"
    assert "I am not a member of the channel: invite me to it" in answer["text"]
    assert "not_in_channel" not in answer["text"]


async def test_without_cortex_the_answer_points_to_connect(slack_app: SlackApp) -> None:
    answer = await answer_to(slack_app, "daily")

    assert "/cortex connect" in str(answer["blocks"])
    assert await DigestStore(slack_app.services.engine).for_workspace(TEAM) == []


async def test_a_delete_button_only_deletes_a_digest_of_the_channel_it_was_shown_in(
    app: SlackApp,
) -> None:
    await answer_to(app, "daily")
    [digest] = await digests_here(app)

    await app.click(ids.DIGEST_DELETE, value=digest.id, channel="C0ELSEWHERE")
    elsewhere = await app.slack.next_response(2)

    assert await digests_here(app) == [digest]
    assert delete_buttons(elsewhere) == []  # the other channel's list, which has none


async def test_now_sent_again_with_the_same_request_posts_once(app: SlackApp) -> None:
    await app.command("digest now", trigger_id="trigger-replayed")
    await app.slack.next_call("chat.postMessage")

    await app.command("digest now", trigger_id="trigger-replayed")
    await app.command("digest now")
    await app.slack.next_call("chat.postMessage", 4)
    await app.services.tasks.join()

    assert len(summaries(app)) == 2


@pytest.mark.parametrize("option", ["group", "owner", "env"])
async def test_a_scope_longer_than_a_tag_can_be_is_one_sentence(app: SlackApp, option: str) -> None:
    answer = await answer_to(app, f"daily {option}={'g' * 201}")

    assert answer["text"] == f"`{option}=` takes a tag of at most 200 characters."
    assert await digests_here(app) == []
    assert app.cortex.received == []


async def test_a_scope_as_long_as_a_tag_can_be_is_stored(app: SlackApp) -> None:
    answer = await answer_to(app, f"daily group={'g' * 200}")

    assert answer["response_type"] == "in_channel"
    [digest] = await digests_here(app)
    assert digest.scope.group == "g" * 200


async def test_names_titles_teams_and_environments_are_shown_as_themselves(app: SlackApp) -> None:
    cortex = app.cortex
    cortex.add_service("relay", "Pager <!channel> Relay", teams=("<!here>&co",))
    recently = datetime.now(UTC) - timedelta(minutes=5)
    deployer = {"name": "<@U0EVIL>", "email": "evil@example.com"}
    cortex.add_deploy("relay", "<!here> hotfix", recently, environment="prod", deployer=deployer)
    cortex.add_deploy("relay", "undo", recently, environment="<prod>", type="ROLLBACK")

    await app.command("digest now")
    summary = await app.slack.next_call("chat.postMessage")
    reply = await app.slack.next_call("chat.postMessage", 2)
    await app.services.tasks.join()

    shown = str(summary.args["blocks"])
    assert "*&lt;!Here&gt;&amp;Co* — 1 service, 1 rollback" in shown
    assert ":rewind: *Pager &lt;!channel&gt; Relay* rolled back in *&lt;prod&gt;*: undo" in shown
    everything = shown + str(reply.args["blocks"]) + summary.args["text"] + reply.args["text"]
    assert not {"<!channel>", "<!here>", "<@U0EVIL>", "<prod>"} & set(
        re.findall(r"<[^>]*>", everything)
    )
    assert "&lt;!here&gt; hotfix to *prod* by &lt;@U0EVIL&gt;" in str(reply.args["blocks"])
