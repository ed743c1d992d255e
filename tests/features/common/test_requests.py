"""Every request is verified before anything happens, and authorised once per token."""

from __future__ import annotations

import time

import pytest

from tests.support.slack_harness import TEAM, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": str(int(time.time()) - 3600)},
        {"X-Slack-Signature": ""},
    ],
    ids=["wrong signature", "stale timestamp", "missing signature"],
)
async def test_unsigned_requests_are_refused_and_do_nothing(
    slack_app: SlackApp, headers: dict[str, str]
) -> None:
    body = "command=%2Fcortex&text=connect&team_id=T0ALPHA&user_id=U0ADMIN&trigger_id=t"

    response = await slack_app.post(body, "application/x-www-form-urlencoded", **headers)

    assert response.status == 401
    assert slack_app.slack.calls == []
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_authorisation_is_cached_across_requests(slack_app: SlackApp) -> None:
    for _ in range(3):
        await slack_app.command("help")
    await slack_app.slack.next_response(3)

    assert len(slack_app.slack.calls_to("auth.test")) == 1
