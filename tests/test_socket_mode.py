"""Socket Mode (SLACK_APP_TOKEN): Slack's requests arrive over a WebSocket instead of HTTP."""

from __future__ import annotations

from tests.fakes.slack import FakeSlack
from tests.slack_harness import ADMIN, CHANNEL, TEAM, AppStarter

APP_TOKEN = "xapp-1-A0CORTEX-socket-mode-token"


async def test_a_command_over_the_socket_is_acked_there_and_answered(
    app_with: AppStarter,
    fake_slack: FakeSlack,
) -> None:
    fake_slack.app_token = APP_TOKEN
    app = await app_with(
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
    )
    command = {
        "team_id": TEAM,
        "channel_id": CHANNEL,
        "user_id": ADMIN,
        "command": "/cortex",
        "text": "help",
        "response_url": fake_slack.response_url(),
        "trigger_id": "trigger-socket",
    }

    await fake_slack.socket_envelopes.put(
        {
            "envelope_id": "envelope-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": command,
        }
    )
    replies = await fake_slack.wait_for(lambda: fake_slack.socket_replies, "the ack")
    answer = await fake_slack.next_response()
    without_http = await app.http.post("/slack/events", data=b"")

    assert replies[0]["envelope_id"] == "envelope-1"
    assert "/cortex deploy" in str(answer["blocks"])
    assert without_http.status == 404  # no signing secret: nothing listens for HTTP requests


async def test_the_app_starts_even_when_socket_mode_cannot_connect_yet(
    app_with: AppStarter,
    fake_slack: FakeSlack,
) -> None:
    app = await app_with(
        slack_app_token="xapp-1-not-accepted-by-slack",
        slack_signing_secret=None,
    )

    health = await app.http.get("/healthz")

    assert health.status == 200
    await fake_slack.wait_for(
        lambda: fake_slack.calls_to("apps.connections.open"), "a connection attempt"
    )
