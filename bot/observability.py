"""Logs and metrics: what operators see of the bot.

Logs are JSON lines in production and readable text at a terminal. Every record carries the
workspace, command and request id of the Slack request it belongs to (a context variable, so
background work started by a request keeps them), and passes through a redaction filter that
scrubs anything shaped like a Slack token or an API key, whatever the message says.

Metrics are Prometheus counters and histograms, served at `GET /metrics`.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from prometheus_client import Counter, Gauge, Histogram
from pythonjsonlogger.json import JsonFormatter

LogFormat = Literal["auto", "json", "text"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(team)s %(command)s %(request_id)s] %(message)s"

# Slack tokens (xoxb-, xoxp-, xoxe-, xapp-...), bearer headers, and long opaque key-like strings.
SECRET_PATTERNS = (
    re.compile(r"\bxox[a-z]?-[A-Za-z0-9-]{8,}"),
    re.compile(r"\bxapp-[A-Za-z0-9-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',]{6,}"),
    re.compile(r"\b[A-Za-z0-9_-]{32,}\b"),
)
REDACTED = "[redacted]"
# Rootly's ids are UUIDs: long, but not secret, and operators need them.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@dataclass(frozen=True)
class RequestContext:
    team: str = "-"
    command: str = "-"
    request_id: str = "-"


NO_REQUEST = RequestContext()
RECORD_FIELDS = ("team", "command", "request_id")
current_request: ContextVar[RequestContext | None] = ContextVar("current_request", default=None)


def begin_request(team: str, command: str) -> RequestContext:
    """Mark the work that follows (and the tasks it starts) as belonging to one Slack request."""
    context = RequestContext(
        team=team or "-", command=command or "-", request_id=uuid.uuid4().hex[:12]
    )
    current_request.set(context)
    return context


def _scrubbed(found: re.Match[str]) -> str:
    if UUID.fullmatch(found.group(0)):
        return found.group(0)
    kept = found.group(1) if found.groups() else ""
    return kept + REDACTED


def redact(text: str) -> str:
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(_scrubbed, text)
    return text


class ContextAndRedaction(logging.Filter):
    """Adds the request's fields to each record and scrubs secrets from its final text."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = current_request.get() or NO_REQUEST
        record.team, record.command, record.request_id = (
            request.team,
            request.command,
            request.request_id,
        )
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


# Characters that could end a line of a text log, or hide what follows (tab is kept).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r"}


def one_line(text: str) -> str:
    """`text` with line breaks and other control characters written as escapes."""
    return _CONTROL.sub(lambda found: _NAMED.get(found[0]) or f"\\u{ord(found[0]):04x}", text)


class TextFormatter(logging.Formatter):
    """Readable text logs in which no value can forge a record: the message and the request's
    fields are kept on one line, and the lines of a traceback are indented under their record."""

    def format(self, record: logging.LogRecord) -> str:
        record.msg, record.args = one_line(record.getMessage()), None
        for name in RECORD_FIELDS:
            setattr(record, name, one_line(str(getattr(record, name, "-"))))
        first, *rest = super().format(record).split("\n")
        return "\n".join([first, *(f"    {line}" for line in rest)])


def configure_logging(level: str = "INFO", log_format: LogFormat = "auto") -> None:
    use_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler()
    handler.addFilter(ContextAndRedaction())
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(team)s %(command)s %(request_id)s",
            rename_fields={"levelname": "level", "asctime": "time", "name": "logger"},
        )
        if use_json
        else TextFormatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Alembic narrates every migration step at INFO; operators only need its warnings.
    logging.getLogger("alembic").setLevel(logging.WARNING)


COMMANDS = Counter(
    "cortex_bot_commands",
    "Slash commands handled, by subcommand and outcome",
    ["command", "outcome"],
)
ACK_SECONDS = Histogram(
    "cortex_bot_ack_seconds",
    "From receiving a Slack request to answering it (the ack), by kind of request",
    ["kind"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
ANSWER_SECONDS = Histogram(
    "cortex_bot_answer_seconds",
    "From receiving a Slack request to the end of the work it started, by kind of request",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 10, 30),
)
API_REQUESTS = Counter(
    "cortex_bot_api_requests", "Requests to outside APIs, by API and status", ["service", "status"]
)
# The statuses counted by name; any other is counted by its class ("3xx"), so a server answering
# odd statuses cannot grow the metric's label values.
NAMED_STATUSES = frozenset({200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504})


def status_label(status: int) -> str:
    return str(status) if status in NAMED_STATUSES else f"{status // 100}xx"


CACHE_LOOKUPS = Counter(
    "cortex_bot_cache_lookups",
    "Response cache lookups, by kind of answer (scores, oncall...) and result",
    ["kind", "result"],
)
SYNC_RUNS = Counter("cortex_bot_sync_runs", "Cortex to Rootly syncs, by outcome", ["outcome"])
DIGEST_POSTS = Counter("cortex_bot_digest_posts", "Digests posted, by outcome", ["outcome"])
BUDGET_WAIT = Histogram(
    "cortex_bot_budget_wait_seconds",
    "Time a Cortex call waited for its key's request budget, by lane",
    ["lane"],
    buckets=(0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300),
)
BUDGET_REQUESTS = Counter(
    "cortex_bot_budget_requests",
    "Cortex calls the request budget let through (sent) or turned away (busy), by lane",
    ["lane", "outcome"],
)
BUDGET_REMAINING = Gauge(
    "cortex_bot_budget_remaining",
    "Requests left in the rolling window of the workspace's Cortex key, when it last sent one",
    ["team"],
)
AUTOPILOT_DELIVERIES = Counter(
    "cortex_bot_autopilot_deliveries",
    "Rootly webhook deliveries to the incident autopilot, by outcome",
    ["outcome"],
)
AUTOPILOT_POST_SECONDS = Histogram(
    "cortex_bot_autopilot_post_seconds",
    "From receiving a Rootly delivery to its incident's Cortex context posted or updated in Slack",
    buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 30),
)
