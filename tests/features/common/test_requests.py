"""Nothing before verification: a request Slack did not sign is refused before anything reads,
logs, counts or answers it; a signed body that is no Slack payload is refused too; metrics labels
stay a fixed set whatever arrives; and authorisation is cached across requests."""

from __future__ import annotations

import json
import logging
import random
import re
import time
from urllib.parse import urlencode

import pytest

from tests.support.slack_harness import CHANNEL, SIGNING_SECRET, TEAM, SlackApp, signature_headers

pytestmark = pytest.mark.usefixtures("fake_rootly")

# What an attacker would like the bot to act on: a command, with a response URL of their choosing.
MARKER = "marker-4f1d9c"
BODY = urlencode(
    {
        "command": "/cortex",
        "text": f"connect {MARKER}",
        "team_id": TEAM,
        "user_id": "U0ADMIN",
        "channel_id": CHANNEL,
        "trigger_id": "t",
        "response_url": f"http://127.0.0.1:9/{MARKER}",
    }
)
FORM = "application/x-www-form-urlencoded"
SERIES = re.compile(r"^([a-z_]+(?:\{[^}]*\})?) ", re.MULTILINE)


def stamp(offset: int = 0) -> str:
    return str(int(time.time()) + offset)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": stamp(-3600)},
        {"X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "abc"},
        {"X-Slack-Request-Timestamp": "1e9"},
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Request-Timestamp": "\uff11\uff12\uff13"},
        {"X-Slack-Signature": "v0=é" + "0" * 63},
        {"X-Slack-Signature": "v1=" + "0" * 64},
    ],
    ids=[
        "wrong signature",
        "stale timestamp",
        "missing signature",
        "timestamp not a number",
        "timestamp in exponent form",
        "empty timestamp",
        "timestamp in full-width digits",
        "signature not ascii",
        "another scheme",
    ],
)
async def test_unsigned_requests_are_refused_and_do_nothing(
    slack_app: SlackApp, headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    response = await slack_app.post(BODY, FORM, **headers)

    assert response.status == 401
    await slack_app.services.tasks.join()
    assert slack_app.slack.calls == []
    assert slack_app.slack.responses == []
    assert await slack_app.services.workspaces.get(TEAM) is None
    assert MARKER not in caplog.text


async def test_a_body_that_is_not_utf8_is_refused_unread(slack_app: SlackApp) -> None:
    raw = b"command=%2Fcortex&text=\xff\xfe"
    headers = signature_headers(raw.decode("latin-1"))  # signed over other bytes than sent

    response = await slack_app.http.post(
        "/slack/events", data=raw, headers={"Content-Type": FORM, **headers}
    )

    assert response.status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=not-json", FORM),
        ("payload=%5B1%2C2%5D", FORM),
        ('payload="text"', FORM),
        ("[1, 2]", "application/json"),
        ("{not json", "application/json"),
        ('"just a string"', "application/json"),
        ("", FORM),
        ("{}", "application/json"),
        ("payload=%7B%22type%22%3A%20%5B%5D%7D", FORM),
        ('{"type": "event_callback", "event": "not an object"}', "application/json"),
        ('{"type": "block_actions", "team": "T1", "actions": {"a": 1}}', "application/json"),
        ("%%%", FORM),
    ],
)
async def test_signed_bodies_that_are_no_slack_payload_are_refused_never_a_500(
    slack_app: SlackApp, body: str, content_type: str
) -> None:
    response = await slack_app.post(body, content_type)

    assert response.status in (400, 401, 404)
    await slack_app.services.tasks.join()
    assert slack_app.slack.responses == []


async def metric_series(app: SlackApp) -> set[str]:
    """The metric series /metrics serves (names and labels; values change on their own)."""
    text = await (await app.http.get("/metrics")).text()
    return {
        found for found in SERIES.findall(text) if not found.startswith(("process_", "python_"))
    }


def flipped(signature: str) -> str:
    return signature[:-1] + ("0" if signature[-1] != "0" else "1")


def unsigned_request(number: int) -> tuple[str, str, dict[str, str]]:
    """A request of a random kind, team and command, with a random way of being unsigned."""
    chosen = random.Random(number)
    token = f"{number}-{chosen.randrange(10**9)}"
    body, content_type = chosen.choice(
        [
            (urlencode({"command": f"/x{token}", "text": token, "team_id": f"T{token}"}), FORM),
            (
                json.dumps({"type": "event_callback", "event": {"type": f"e{token}"}}),
                "application/json",
            ),
            (
                urlencode({"payload": json.dumps({"type": f"p{token}", "team": {"id": token}})}),
                FORM,
            ),
            (f"garbage {token}", FORM),
        ]
    )
    signed = signature_headers(body)
    headers = chosen.choice(
        [
            {"X-Slack-Signature": "v0=" + "f" * 64},
            {"X-Slack-Request-Timestamp": f"t{token}"},
            {"X-Slack-Request-Timestamp": stamp(-600), "X-Slack-Signature": "v0=" + "1" * 64},
            {**signed, "X-Slack-Signature": flipped(signed["X-Slack-Signature"])},
            {"X-Slack-Request-Timestamp": ""},
        ]
    )
    return body, content_type, headers


async def test_300_unsigned_requests_leave_the_metrics_as_they_were(slack_app: SlackApp) -> None:
    await slack_app.command("help")
    await slack_app.slack.next_response()
    before = await metric_series(slack_app)
    assert 'cortex_bot_ack_seconds_count{kind="/cortex"}' in before

    statuses = set()
    for number in range(300):
        body, content_type, headers = unsigned_request(number)
        statuses.add((await slack_app.post(body, content_type, **headers)).status)

    assert statuses == {401}
    assert await metric_series(slack_app) == before
    assert slack_app.slack.calls_to("chat.postEphemeral") == []


async def test_signed_requests_of_unknown_kinds_share_one_label(slack_app: SlackApp) -> None:
    before = await metric_series(slack_app)

    for number in range(20):
        event = {"type": "event_callback", "team_id": TEAM, "event": {"type": f"e{number}"}}
        await slack_app.post(json.dumps(event), "application/json")
        await slack_app.interact({"type": f"kind{number}", "team": {"id": TEAM}})

    added = await metric_series(slack_app) - before
    assert {found.partition("{")[2] for found in added} <= {'kind="other"}'}
    assert not any(re.search(r'"(e|kind)\d+"', found) for found in added)


async def test_a_signature_made_with_another_secret_is_refused(slack_app: SlackApp) -> None:
    headers = signature_headers(BODY, secret=SIGNING_SECRET + "x")

    response = await slack_app.http.post(
        "/slack/events", data=BODY.encode(), headers={"Content-Type": FORM, **headers}
    )

    assert response.status == 401


async def test_authorisation_is_cached_across_requests(slack_app: SlackApp) -> None:
    for _ in range(3):
        await slack_app.command("help")
    await slack_app.slack.next_response(3)

    assert len(slack_app.slack.calls_to("auth.test")) == 1
