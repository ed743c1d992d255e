"""App Home: the workspace's connection, or how to connect it."""

from __future__ import annotations

import pytest

from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")


async def test_app_home_shows_the_connection(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    await slack_app.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    published = await slack_app.slack.next_call("views.publish")

    assert published.args["user_id"] == MEMBER
    home = str(published.args["view"])
    assert "••••cdef" in home
    assert slack_app.cortex.base_url in home
    assert "Rootly: not connected" in home


async def test_app_home_of_a_new_workspace_says_how_to_connect(slack_app: SlackApp) -> None:
    await slack_app.event({"type": "app_home_opened", "user": MEMBER, "tab": "home"})
    published = await slack_app.slack.next_call("views.publish")

    assert "/cortex connect" in str(published.args["view"])
