"""Drive the real app over HTTP the way Slack does: signed requests in, fake Slack Web API out.

`slack_app` starts the aiohttp app (SQLite in a temporary folder, migrations applied) pointed at the
fake Slack, Cortex and Rootly servers, and gives tests one method per kind of Slack request.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import pytest
from aiohttp import ClientResponse, ClientSession
from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import Application

from bot.config import Settings
from bot.crypto import Keyring, new_key
from bot.http import RetryPolicy
from bot.web import SERVICES, create_web_app
from tests.support.databases import migrate_in_thread
from tests.support.fakes import block_kit
from tests.support.fakes.cortex import FakeCortex
from tests.support.fakes.rootly import FakeRootly
from tests.support.fakes.slack import WAIT_SECONDS, FakeSlack

SIGNING_SECRET = "test-signing-secret-5f1e2d"
TEAM = "T0ALPHA"
BOT_TOKEN = "xoxb-alpha-bot-token-1234567890"
ADMIN = "U0ADMIN"
MEMBER = "U0MEMBER"
CHANNEL = "C0GENERAL"

T = TypeVar("T")
# What the app under test allows Cortex and Rootly: quick enough that "Cortex hangs" tests take
# well under a second, shaped like production's (one retry, a per-request timeout, a deadline).
APP_RETRIES = RetryPolicy(
    attempts=2, request_timeout=0.4, deadline=1.0, backoff_base=0.01, backoff_max=0.02
)
ServerFactory = Callable[[Application], Awaitable[TestServer]]
ClientFactory = Callable[[Application], Awaitable["TestClient[Any, Any]"]]


def signature_headers(
    body: str, *, timestamp: int | None = None, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


class ManualClock:
    """The app's monotonic clock in tests: it moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


class Http(Protocol):
    """An HTTP client rooted at the app: aiohttp's TestClient, or `RemoteApp` for a process."""

    def post(self, path: str, **options: Any) -> Awaitable[ClientResponse]: ...

    def get(self, path: str, **options: Any) -> Awaitable[ClientResponse]: ...


@dataclass(frozen=True)
class RemoteApp:
    """The app running as a real process, reached over TCP."""

    base_url: str
    session: ClientSession

    def post(self, path: str, **options: Any) -> Awaitable[ClientResponse]:
        return self.session.post(self.base_url + path, **options)

    def get(self, path: str, **options: Any) -> Awaitable[ClientResponse]:
        return self.session.get(self.base_url + path, **options)


@dataclass(kw_only=True)
class SlackRequests:
    """Sends the app what Slack sends: signed commands, clicks, submissions, events."""

    http: Http
    slack: FakeSlack
    trigger_ids: list[str] = field(default_factory=list)
    # The slash command the app answers (its SLACK_COMMAND).
    slash: str = "/cortex"

    async def post(self, body: str, content_type: str, **headers: str) -> ClientResponse:
        return await self.http.post(
            "/slack/events",
            data=body.encode(),
            headers={"Content-Type": content_type, **signature_headers(body), **headers},
        )

    async def command(
        self,
        text: str,
        *,
        user: str = ADMIN,
        team: str = TEAM,
        channel: str = CHANNEL,
        trigger_id: str | None = None,
        **headers: str,
    ) -> ClientResponse:
        """A slash command; passing the trigger of an earlier one resends it, as Slack retries."""
        if trigger_id is None:
            trigger_id = f"trigger-{len(self.trigger_ids)}"
            self.trigger_ids.append(trigger_id)
        body = urlencode(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "team_domain": team.lower(),
                "channel_id": channel,
                "channel_name": "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": self.slash,
                "text": text,
                "api_app_id": "A0CORTEX",
                "response_url": self.slack.response_url(),
                "trigger_id": trigger_id,
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded", **headers)

    async def answer(self, text: str, user: str = MEMBER) -> dict[str, Any]:
        """What a /cortex command answers at its response URL, once Slack's request is acked."""
        answered_before = len(self.slack.responses)
        response = await self.command(text, user=user)
        assert response.status == 200
        return await self.slack.next_response(answered_before + 1)

    async def interact(self, payload: dict[str, Any], **headers: str) -> ClientResponse:
        body = urlencode({"payload": json.dumps(payload)})
        response = await self.post(body, "application/x-www-form-urlencoded", **headers)
        await self._check_answer(response)
        return response

    async def _check_answer(self, response: ClientResponse) -> None:
        """What the app answers Slack directly (a view, options) must be what Slack takes too."""
        if response.status != 200 or response.content_type != "application/json":
            return
        answer = await response.json()
        if answer.get("view"):
            self.slack.violations += block_kit.view_problems("ack", answer["view"])
        if "options" in answer:
            self.slack.violations += block_kit.options_problems("ack", answer["options"])

    async def click(
        self,
        action_id: str,
        *,
        value: str = "",
        user: str = ADMIN,
        team: str = TEAM,
        channel: str = CHANNEL,
        view: dict[str, Any] | None = None,
        shared: bool = False,
    ) -> ClientResponse:
        """A click on a button of a view, or of a message: one only the person sees unless
        `shared` (a message posted in the channel)."""
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0CORTEX",
            "trigger_id": f"trigger-click-{action_id}",
            "actions": [
                {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
            ],
        }
        if view is not None:
            payload |= {"view": view, "container": {"type": "view", "view_id": view["id"]}}
        else:
            payload |= {
                "channel": {"id": channel},
                "container": {
                    "type": "message",
                    "channel_id": channel,
                    "is_ephemeral": not shared,
                },
                "response_url": self.slack.response_url(),
            }
        return await self.interact(payload)

    async def submit(
        self,
        view: dict[str, Any],
        values: dict[str, dict[str, str]],
        *,
        user: str = ADMIN,
        team: str = TEAM,
    ) -> ClientResponse:
        """Submit a modal as Slack would, with plain-text `values[block_id][action_id]`."""
        state = {
            block: {
                action: {"type": "plain_text_input", "value": text}
                for action, text in inputs.items()
            }
            for block, inputs in values.items()
        }
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0CORTEX",
            "view": {**view, "state": {"values": state}, "team_id": team},
        }
        return await self.interact(payload)

    async def options(
        self, action_id: str, value: str, *, user: str = ADMIN, team: str = TEAM
    ) -> Any:
        """A typeahead options load; returns Slack's decoded answer."""
        payload = {
            "type": "block_suggestion",
            "team": {"id": team},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0CORTEX",
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "view": {"id": "V0OPTIONS", "type": "modal"},
        }
        response = await self.interact(payload)
        assert response.status == 200
        return await response.json()

    async def shortcut(
        self,
        callback_id: str,
        *,
        message: dict[str, Any] | None = None,
        user: str = ADMIN,
        team: str = TEAM,
        channel: str = CHANNEL,
    ) -> ClientResponse:
        """A global shortcut, or a message shortcut when `message` is given."""
        payload: dict[str, Any] = {
            "type": "message_action" if message else "shortcut",
            "callback_id": callback_id,
            "trigger_id": f"trigger-shortcut-{callback_id}",
            "team": {"id": team, "domain": team.lower()},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A0CORTEX",
        }
        if message:
            payload |= {
                "message": message,
                "channel": {"id": channel},
                "response_url": self.slack.response_url(),
            }
        return await self.interact(payload)

    async def event(self, event: dict[str, Any], *, team: str = TEAM) -> ClientResponse:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": team,
                "api_app_id": "A0CORTEX",
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{len(self.slack.calls):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )
        return await self.post(body, "application/json")


@dataclass(kw_only=True)
class SlackApp(SlackRequests):
    """The app running in this process, and the fakes around it."""

    # TestClient types its keyword options precisely; it accepts everything Http callers pass.
    http: TestClient[Any, Any]  # type: ignore[assignment]
    cortex: FakeCortex
    rootly: FakeRootly
    settings: Settings
    keyring: Keyring
    database_file: Path
    clock: ManualClock

    @property
    def services(self) -> Any:
        return self.http.app[SERVICES]


async def eventually(read: Callable[[], Awaitable[T]], accept: Callable[[T], bool], what: str) -> T:
    """Poll an async read until background work makes it acceptable."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = await read()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")
        await asyncio.sleep(0.01)


def app_settings(
    slack: FakeSlack, cortex: FakeCortex, rootly: FakeRootly, database_url: str, **extra: Any
) -> Settings:
    return Settings(
        _env_file=None,
        slack_api_url=f"{slack.base_url}/api/",
        cortex_api_url=cortex.base_url,
        rootly_api_url=rootly.base_url,
        database_url=database_url,
        **{"slack_signing_secret": SIGNING_SECRET, **extra},
    )


async def start_app(
    client_factory: ClientFactory,
    slack: FakeSlack,
    cortex: FakeCortex,
    rootly: FakeRootly,
    tmp_path: Path,
    retries: RetryPolicy = APP_RETRIES,
    *,
    database_url: str | None = None,
    keyring: Keyring | None = None,
    **extra: Any,
) -> SlackApp:
    """The app on a database of its own in `tmp_path`, or on `database_url` (migrated already)
    with `keyring`, as another process sharing that database would run."""
    database_file = tmp_path / "cortex-bot.db"
    if database_url is None:
        database_url = f"sqlite+aiosqlite:///{database_file}"
        await migrate_in_thread(database_url)
    settings = app_settings(slack, cortex, rootly, database_url, **extra)
    keyring = keyring or Keyring.from_encoded([new_key()])
    clock = ManualClock()
    http = await client_factory(create_web_app(settings, keyring, retries, clock))
    return SlackApp(
        http=http,
        slack=slack,
        slash=settings.slack_command,
        cortex=cortex,
        rootly=rootly,
        settings=settings,
        keyring=keyring,
        database_file=database_file,
        clock=clock,
    )


@pytest.fixture
async def fake_slack(aiohttp_server: ServerFactory) -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    server = await aiohttp_server(fake.app())
    fake.base_url = str(server.make_url("")).rstrip("/")
    fake.add_workspace(TEAM, BOT_TOKEN)
    fake.add_user(ADMIN, TEAM, name="Ana Admin", email="ana@example.com", admin=True)
    fake.add_user(MEMBER, TEAM, name="Max Member", email="max@example.com")
    yield fake
    assert fake.violations == [], "messages or views Slack would refuse"


AppStarter = Callable[..., Awaitable[SlackApp]]


@pytest.fixture
def app_with(
    aiohttp_client: ClientFactory,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    tmp_path: Path,
) -> AppStarter:
    """Start the app around the fakes with these settings (the bot token's mode by default) and,
    where a test needs other than quick retries, this retry policy."""

    async def start(retries: RetryPolicy = APP_RETRIES, **settings: Any) -> SlackApp:
        settings = {"slack_bot_token": BOT_TOKEN, **settings}
        return await start_app(
            aiohttp_client, fake_slack, fake_cortex, fake_rootly, tmp_path, retries, **settings
        )

    return start


@pytest.fixture
async def slack_app(app_with: AppStarter) -> SlackApp:
    return await app_with()
