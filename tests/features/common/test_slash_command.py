"""The slash command is a setting (SLACK_COMMAND): a workspace that also runs Cortex's own Slack
app, which registers `/cortex`, gives ours another name, and every text names that one."""

from __future__ import annotations

import pytest

from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, AppStarter, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")


@pytest.fixture
async def svc(app_with: AppStarter) -> SlackApp:
    return await app_with(slack_command="/svc")


async def answer_to(app: SlackApp, text: str, user: str = ADMIN) -> str:
    answer = await app.answer(text, user=user)
    return f"{answer['text']} {answer.get('blocks')}"


async def test_the_configured_command_is_answered_and_help_names_it(svc: SlackApp) -> None:
    shown = await answer_to(svc, "help")

    assert "`/svc deploy &lt;tag&gt;" in shown
    assert "`/svc &lt;tag or name&gt;` — a service's card" in shown
    assert "`/svc connect`" in shown  # not connected yet
    assert "/cortex" not in shown


async def test_a_request_for_cortexs_own_command_is_not_ours(svc: SlackApp) -> None:
    svc.slash = "/cortex"

    response = await svc.command("help")
    await svc.services.tasks.join()

    assert response.status == 404
    assert svc.slack.responses == []


async def test_usage_errors_and_answers_name_the_configured_command(svc: SlackApp) -> None:
    not_connected = await answer_to(svc, "payments-api", user=MEMBER)
    await svc.services.workspaces.save(
        TEAM, NewKeys(svc.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    svc.cortex.add_service("payments-api", "Payments API")
    answers = [
        not_connected,
        await answer_to(svc, "deploy payments-api v1 type=YOLO"),
        await answer_to(svc, "serach payments"),
        await answer_to(svc, "digest list"),
        await answer_to(svc, "sync status"),
        await answer_to(svc, "incidents status"),
        await answer_to(svc, "incidents maybe"),
    ]

    assert "`/svc connect`" in answers[0]
    assert "Usage: `/svc deploy &lt;tag&gt;" in answers[1]
    assert "`/svc search payments`" in answers[2]
    assert "`/svc digest daily`" in answers[3]
    assert "`/svc sync auto hourly`" in answers[4]
    assert "`/svc connect`" in answers[5]  # the autopilot needs Rootly
    assert "Usage: `/svc incidents auto on" in answers[6]
    assert not any("/cortex" in answer for answer in answers)


async def test_app_home_names_the_configured_command(svc: SlackApp) -> None:
    await svc.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    published = await svc.slack.next_call("views.publish")

    home = str(published.args["view"])
    assert "`/svc connect`" in home
    assert "`/svc help`" in home
    assert "/cortex" not in home


async def test_modals_name_the_configured_command(svc: SlackApp) -> None:
    await svc.services.workspaces.save(
        TEAM, NewKeys(svc.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    await svc.command("sync fields", user=MEMBER)
    update = await svc.slack.next_call("views.update")

    refusal = str(svc.slack.views[update.args["view_id"]]["blocks"])
    assert "`/svc sync status`" in refusal
    assert "/cortex" not in refusal
