"""Socket Mode (SLACK_APP_TOKEN): Slack's requests arrive over a WebSocket instead of HTTP."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from bot.observability import configure_logging
from tests.support.fakes.slack import FakeSlack
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, AppStarter, SlackApp

APP_TOKEN = "xapp-1-A0CORTEX-socket-mode-token"
ACKS = re.compile(r'^cortex_bot_ack_seconds_count\{kind="/cortex"\} (\S+)$', re.MULTILINE)


async def send_command(fake_slack: FakeSlack, text: str, user: str) -> None:
    """`/cortex <text>` as Slack sends it over the socket."""
    command = {
        "team_id": TEAM,
        "channel_id": CHANNEL,
        "user_id": user,
        "command": "/cortex",
        "text": text,
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


async def test_a_command_over_the_socket_is_acked_there_and_answered(
    app_with: AppStarter,
    fake_slack: FakeSlack,
) -> None:
    fake_slack.app_token = APP_TOKEN
    app = await app_with(
        slack_app_token=APP_TOKEN,
        slack_signing_secret=None,
    )

    await send_command(fake_slack, "help", ADMIN)
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


# The request context (workspace, command and request id in the logs; the ack metric) is a Bolt
# middleware, so a request over the socket gets it exactly as one over HTTP does.


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("INFO", "json")
    stream = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)


async def acks_counted(app: SlackApp) -> float:
    found = ACKS.search(await (await app.http.get("/metrics")).text())
    return float(found.group(1)) if found else 0.0


async def test_a_command_over_the_socket_is_logged_with_its_context_and_its_ack_counted(
    app_with: AppStarter, fake_slack: FakeSlack, json_logs: io.StringIO
) -> None:
    fake_slack.app_token = APP_TOKEN
    app = await app_with(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    acks_before = await acks_counted(app)

    await send_command(fake_slack, "disconnect", MEMBER)
    refusal = await fake_slack.next_response()

    assert "Only workspace admins" in refusal["text"]
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    [failure] = [line for line in lines if line["message"].startswith("listener failed")]
    assert failure["team"] == TEAM
    assert failure["command"] == "/cortex"
    assert re.fullmatch(r"[0-9a-f]{12}", failure["request_id"])
    assert await acks_counted(app) == acks_before + 1
