"""Logs carry the request's context and never a secret; /metrics counts what happened."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
from collections.abc import Iterator

import pytest

from bot.observability import (
    ContextAndRedaction,
    begin_request,
    configure_logging,
    redact,
    status_label,
)
from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.slack_harness import ADMIN, TEAM, SlackApp


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4",
        "xapp-1-A012345-1234567890-abcdef0123456789",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
        "api_key=sk_live_51HqLyjWDarjtT1zdp7dc",
        CORTEX_KEY,
        # The access log's line of a Rootly delivery: its URL's token names a workspace.
        f'"POST /rootly/webhooks/{secrets.token_hex(24)} HTTP/1.1" 401',
    ],
)
def test_secrets_are_scrubbed(secret: str) -> None:
    scrubbed = redact(f"calling with {secret} now")

    assert "[redacted]" in scrubbed
    assert max(re.split(r"[=/ ]", secret), key=len) not in scrubbed


def test_ids_and_ordinary_words_are_kept() -> None:
    line = "attached payments-api to incident 0b9f7a58-3c4e-4d2a-9a8f-1c2d3e4f5a6b in T0ALPHA"

    assert redact(line) == line


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def capture(log_format: str) -> io.StringIO:
    configure_logging("INFO", log_format)  # type: ignore[arg-type]
    stream = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def test_json_lines_carry_the_request_and_no_secret() -> None:
    stream = capture("json")
    begin_request("T0ALPHA", "/cortex")

    logging.getLogger("test").warning("key %s was refused", "xoxb-1111-2222-secretsecret")
    try:
        raise ValueError("token=abcdefghijklmnop in a traceback")
    except ValueError:
        logging.getLogger("test").exception("failed")

    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["team"] == "T0ALPHA"
    assert first["command"] == "/cortex"
    assert len(first["request_id"]) == 12
    assert "xoxb" not in first["message"]
    assert "abcdefghijklmnop" not in json.dumps(second)


def test_text_logs_are_readable() -> None:
    stream = capture("text")

    logging.getLogger("test").info("hello")

    assert "INFO test [" in stream.getvalue()
    assert stream.getvalue().rstrip().endswith("hello")


FORGED = "2026-01-01 00:00:00,000 ERROR bot [T0ADMIN - -] forged"


def test_a_newline_in_a_value_cannot_forge_a_text_log_line() -> None:
    stream = capture("text")
    begin_request(f"T0EVIL\n{FORGED}", "/cortex")

    logging.getLogger("test").warning("no service %r\r\n%s", "x", FORGED)
    try:
        raise ValueError(f"bad\n{FORGED}")
    except ValueError:
        logging.getLogger("test").exception("failed")

    lines = stream.getvalue().splitlines()
    records = [line for line in lines if not line.startswith("    ")]
    assert len(records) == 2
    assert not any(line.startswith(FORGED[:10]) for line in lines)
    assert "T0EVIL\\n2026-01-01" in records[0]
    assert "'x'\\r\\n2026-01-01" in records[0]


def test_json_lines_stay_one_record_a_line() -> None:
    stream = capture("json")
    begin_request("T0EVIL\nX", "/cortex")

    logging.getLogger("test").warning("a\nb")

    [line] = stream.getvalue().splitlines()
    assert json.loads(line)["message"] == "a\nb"


def test_the_filter_leaves_records_usable_by_other_handlers() -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "a %s", ("xoxb-123456789012",), None)

    ContextAndRedaction().filter(record)

    assert record.getMessage() == "a [redacted]"


async def test_metrics_count_commands_acks_and_cortex_requests(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    slack_app.cortex.add_service("api")
    await slack_app.command("api")
    await slack_app.slack.next_response()

    text = await (await slack_app.http.get("/metrics")).text()

    assert 'cortex_bot_commands_total{command="service",outcome="ok"}' in text
    assert 'cortex_bot_ack_seconds_count{kind="/cortex"}' in text
    assert 'cortex_bot_api_requests_total{service="Cortex",status="200"}' in text
    assert 'cortex_bot_cache_lookups_total{kind="entity",result="miss"}' in text


async def test_metrics_count_sync_runs_and_digest_posts(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )
    slack_app.cortex.add_service("api")
    await slack_app.command("sync")
    await slack_app.slack.wait_for(lambda: len(slack_app.rootly.services) == 1, "the sync")
    await slack_app.command("digest now")
    await slack_app.slack.wait_for(
        lambda: any(
            "digest" in str(c.args).lower()
            for c in slack_app.slack.calls_to("chat.postMessage")[1:]
        ),
        "the digest",
    )

    text = await (await slack_app.http.get("/metrics")).text()

    assert 'cortex_bot_sync_runs_total{outcome="succeeded"}' in text
    assert 'cortex_bot_digest_posts_total{outcome="posted"}' in text


def test_odd_statuses_from_a_server_are_counted_by_class() -> None:
    assert [status_label(status) for status in (200, 429, 299, 302, 418, 599)] == [
        "200",
        "429",
        "2xx",
        "3xx",
        "4xx",
        "5xx",
    ]
