"""A fake Slack: the Web API methods the bot calls, response URLs, and the OAuth authorize page.

It records every call (method, arguments, token) so tests can assert on what the bot sent, answers
in Slack's shapes, and checks what Slack itself would refuse or misread (`block_kit.py`: Block Kit
limits, unescaped markup) and unknown triggers; a message with too much text in its blocks is
refused as Slack refuses it (`msg_blocks_too_long`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.fakes import block_kit

Handler = Callable[["FakeSlack", dict[str, Any], str], dict[str, Any]]

WAIT_SECONDS = 5.0


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str
    at: float = field(default_factory=time.perf_counter)  # when it arrived, for benchmarks


@dataclass
class FakeSlack:
    base_url: str = ""
    # token -> (team_id, bot user id)
    tokens: dict[str, tuple[str, str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # channel id -> conversations.list's channel object (name, is_private, is_archived...)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    # OAuth code -> the oauth.v2.access answer
    oauth_codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    # response URL id -> its answer, and when it arrived (time.perf_counter), for benchmarks
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    answered_at: dict[str, float] = field(default_factory=dict)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    # Channels the bot may not post in, and what Slack answers there (`not_in_channel`...).
    closed_channels: dict[str, str] = field(default_factory=dict)
    # What Slack answers to every reply in a thread, if it refuses them (`msg_too_long`...).
    refused_replies: str | None = None
    # The reply in a thread (1 for the first) whose connection drops before Slack answers.
    dropped_reply: int | None = None
    # (channel, ts) -> the message posted there, as updated since
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # file id -> its name, length, title, uploaded content and where it was shared
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Socket Mode: the app-level token, what to send down the socket, and what the app sent back.
    app_token: str = ""
    socket_envelopes: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    socket_replies: list[dict[str, Any]] = field(default_factory=list)
    _sockets: set[web.WebSocketResponse] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    # --- seeding -------------------------------------------------------------------------------

    def add_workspace(self, team_id: str, token: str, bot_user: str = "UBOT") -> None:
        self.tokens[token] = (team_id, bot_user)

    def add_user(
        self,
        user_id: str,
        team_id: str,
        *,
        name: str = "Ana Lima",
        email: str = "ana@example.com",
        admin: bool = False,
        owner: bool = False,
        tz: str = "Europe/Lisbon",
        tz_offset: int = 0,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": name.split()[0].lower(),
            "real_name": name,
            "tz": tz,
            "tz_offset": tz_offset,
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "is_bot": False,
            "profile": {"real_name": name, "display_name": name.split()[0], "email": email},
        }

    def add_channel(self, channel_id: str, name: str, *, private: bool = False) -> None:
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_channel": not private,
            "is_group": private,
            "is_private": private,
            "is_archived": False,
        }

    # --- inspection ----------------------------------------------------------------------------

    def messages_of(self, channel: str) -> list[str]:
        """The ts of the messages posted in `channel`, oldest first."""
        return sorted(ts for (posted_in, ts) in self.messages if posted_in == channel)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    async def wait_for(
        self, condition: Callable[[], Any], what: str = "condition", seconds: float = WAIT_SECONDS
    ) -> Any:
        """Poll until the bot's background work produces what a test expects."""
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            outcome = condition()
            if outcome:
                return outcome
            await asyncio.sleep(0.01)
        called = [call.method for call in self.calls]
        raise AssertionError(f"timed out waiting for {what}; calls so far: {called}")

    async def next_call(self, method: str, count: int = 1) -> Call:
        """Wait until `method` was called `count` times and return the last of those calls."""
        found = await self.wait_for(
            lambda: len(self.calls_to(method)) >= count and self.calls_to(method), what=method
        )
        return found[count - 1]  # type: ignore[no-any-return]

    async def next_response(self, count: int = 1) -> dict[str, Any]:
        await self.wait_for(lambda: len(self.responses) >= count, what="a response_url post")
        return self.responses[count - 1]

    def response_url(self) -> str:
        return f"{self.base_url}/response/{next(self._ids)}"

    # --- HTTP ----------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/oauth/v2/authorize", self._authorize_page)
        app.router.add_get("/socket", self._socket)
        app.on_shutdown.append(self._close_sockets)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.calls.append(Call(method, args, token))
        if self._dropped(method, args):
            assert request.transport is not None
            request.transport.close()  # the bot's client sees the connection lost
            return web.Response()
        if method in self.failures:
            return web.json_response({"ok": False, "error": self.failures.pop(method)})
        if method == "apps.connections.open":
            return web.json_response(self._open_connection(token))
        handler = METHODS.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        if method != "oauth.v2.access" and token not in self.tokens:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response(handler(self, args, token))

    def _dropped(self, method: str, args: dict[str, Any]) -> bool:
        if method != "chat.postMessage" or not args.get("thread_ts"):
            return False
        replies = [call for call in self.calls_to(method) if call.args.get("thread_ts")]
        return len(replies) == self.dropped_reply

    async def _response_url(self, request: web.Request) -> web.Response:
        message = await request.json()
        self.violations += block_kit.message_problems("response_url", message)
        if block_kit.blocks_too_long(message):
            return web.Response(status=400, text=block_kit.BLOCKS_TOO_LONG)
        self.responses.append(message)
        self.answers[request.match_info["id"]] = message
        self.answered_at[request.match_info["id"]] = time.perf_counter()
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL `files.getUploadURLExternal` gave: the file's bytes, as it announced."""
        file = self.files.get(request.match_info["file_id"])
        content = await request.read()
        if file is None or len(content) != file["length"]:
            return web.Response(status=400, text="bad upload")
        file["content"] = content
        return web.Response(text=f"OK - {len(content)}")

    def _open_connection(self, token: str) -> dict[str, Any]:
        if not self.app_token or token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": self.base_url.replace("http", "ws", 1) + "/socket"}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, send queued envelopes, and keep what the app answers."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.add(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        sender = asyncio.ensure_future(self._send_envelopes(socket))
        try:
            async for message in socket:
                self.socket_replies.append(json.loads(message.data))
        finally:
            sender.cancel()
            self._sockets.discard(socket)
        return socket

    async def _close_sockets(self, _app: web.Application) -> None:
        # A server waits for open WebSockets when it stops: close them, as Slack would.
        for socket in list(self._sockets):
            await socket.close()

    async def _send_envelopes(self, socket: web.WebSocketResponse) -> None:
        while True:
            await socket.send_json(await self.socket_envelopes.get())

    async def _authorize_page(self, request: web.Request) -> web.Response:
        return web.Response(text=f"authorize {request.query_string}")

    def refusal(self, where: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """Records what Slack would refuse or misread in a message; Slack's answer when it refuses
        the whole message (too much text in its blocks)."""
        blocks = args.get("blocks")
        message = {**args, "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks}
        self.violations += block_kit.message_problems(where, message)
        return (
            {"ok": False, "error": block_kit.BLOCKS_TOO_LONG}
            if block_kit.blocks_too_long(message)
            else None
        )

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"


async def _arguments(request: web.Request) -> dict[str, Any]:
    """Slack takes arguments in the query string as well as in the body."""
    query = {key: _maybe_json(value) for key, value in request.query.items()}
    if request.method == "GET":
        return query
    if request.content_type == "application/json":
        loaded: dict[str, Any] = await request.json()
        return query | loaded
    form = await request.post()
    return query | {key: _maybe_json(str(value)) for key, value in form.items()}


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def _auth_test(fake: FakeSlack, _args: dict[str, Any], token: str) -> dict[str, Any]:
    team_id, bot_user = fake.tokens[token]
    return _ok(
        url=f"https://{team_id.lower()}.slack.com/",
        team="Test team",
        user="cortex",
        team_id=team_id,
        user_id=bot_user,
        bot_id="B" + bot_user,
    )


def _users_info(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    user = fake.users.get(args.get("user", ""))
    return _ok(user=user) if user else {"ok": False, "error": "user_not_found"}


def _users_lookup_by_email(fake: FakeSlack, args: dict[str, Any], token: str) -> dict[str, Any]:
    """The member of the token's workspace with this email (Slack matches it case-blind)."""
    team_id = fake.tokens.get(token, ("", ""))[0]
    wanted = str(args.get("email", "")).lower()
    for user in fake.users.values():
        email = str(user["profile"].get("email", "")).lower()
        if user["team_id"] == team_id and email == wanted:
            return _ok(user=user)
    return {"ok": False, "error": "users_not_found"}


def _store_view(fake: FakeSlack, view: Any, view_id: str | None = None) -> dict[str, Any]:
    view = json.loads(view) if isinstance(view, str) else dict(view)
    view_id = view_id or fake.new_id("V")
    fake.violations += block_kit.view_problems(f"view {view_id}", view)
    stored = {**view, "id": view_id, "hash": fake.new_id("h"), "state": {"values": {}}}
    fake.views[view_id] = stored
    return stored


def _views_open(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    if not args.get("trigger_id"):
        return {"ok": False, "error": "invalid_trigger_id"}
    return _ok(view=_store_view(fake, args["view"]))


def _views_update(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    view_id = args.get("view_id", "")
    current = fake.views.get(view_id)
    if current is None:
        return {"ok": False, "error": "not_found"}
    if args.get("hash") and args["hash"] != current["hash"]:
        return {"ok": False, "error": "hash_conflict"}
    return _ok(view=_store_view(fake, args["view"], view_id))


def _views_publish(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    return _ok(view=_store_view(fake, args["view"]))


def _post_message(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    refused = fake.refusal("chat.postMessage", args)
    if refused:
        return refused
    if args.get("thread_ts") and fake.refused_replies:
        return {"ok": False, "error": fake.refused_replies}
    channel = str(args.get("channel"))
    if channel in fake.closed_channels:
        return {"ok": False, "error": fake.closed_channels[channel]}
    if channel[:1] in "UW":
        channel = "D" + channel[1:]  # a user ID posts in the app's DM with that person
    thread = args.get("thread_ts")
    if thread and (channel, str(thread)) not in fake.messages:
        return {"ok": False, "error": "thread_not_found"}
    ts = f"{1_700_000_000 + len(fake.calls)}.000100"
    fake.messages[(channel, ts)] = args
    return _ok(channel=channel, ts=ts, message={"text": args.get("text", "")})


def _update_message(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    refused = fake.refusal("chat.update", args)
    if refused:
        return refused
    channel, ts = str(args.get("channel")), str(args.get("ts"))
    if (channel, ts) not in fake.messages:
        return {"ok": False, "error": "message_not_found"}
    fake.messages[(channel, ts)] = args
    return _ok(channel=channel, ts=ts, text=args.get("text", ""))


def _post_ephemeral(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    refused = fake.refusal("chat.postEphemeral", args)
    if refused:
        return refused
    return _ok(message_ts=f"{1_700_000_000 + len(fake.calls)}.000200")


def _permalink(_fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    channel, ts = args.get("channel", ""), str(args.get("message_ts", ""))
    return _ok(
        channel=channel,
        permalink=f"https://test.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    )


def _conversations_list(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    """Cursor-paged as Slack pages it; the cursor is the offset here, opaque to the bot."""
    types = str(args.get("types") or "public_channel").split(",")
    found = [
        channel
        for channel in fake.channels.values()
        if ("private_channel" if channel["is_private"] else "public_channel") in types
    ]
    start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
    following = start + limit if start + limit < len(found) else ""
    return _ok(
        channels=found[start : start + limit],
        response_metadata={"next_cursor": str(following)},
    )


def _upload_url(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    if not args.get("filename") or not str(args.get("length", "")).isdigit():
        return {"ok": False, "error": "invalid_arguments"}
    file_id = fake.new_id("F")
    fake.files[file_id] = {"filename": args["filename"], "length": int(args["length"])}
    return _ok(upload_url=f"{fake.base_url}/upload/{file_id}", file_id=file_id)


def _complete_upload(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    """Shares uploaded files in a channel, or in a message's thread there."""
    channel, thread = str(args.get("channel_id", "")), args.get("thread_ts")
    if thread and (channel, str(thread)) not in fake.messages:
        return {"ok": False, "error": "invalid_thread_ts"}
    shared = []
    for item in args.get("files") or []:
        file = fake.files.get(item.get("id", ""))
        if file is None or "content" not in file:
            return {"ok": False, "error": "file_not_found"}
        file.update(title=item.get("title"), channel=channel, thread_ts=thread)
        shared.append({"id": item["id"], "title": item.get("title")})
    return _ok(files=shared)


def _oauth_access(fake: FakeSlack, args: dict[str, Any], _token: str) -> dict[str, Any]:
    answer = fake.oauth_codes.pop(str(args.get("code")), None)
    return answer if answer else {"ok": False, "error": "invalid_code"}


METHODS: dict[str, Handler] = {
    "auth.test": _auth_test,
    "users.info": _users_info,
    "users.lookupByEmail": _users_lookup_by_email,
    "views.open": _views_open,
    "views.update": _views_update,
    "views.publish": _views_publish,
    "views.push": _views_open,
    "chat.getPermalink": _permalink,
    "chat.postMessage": _post_message,
    "chat.postEphemeral": _post_ephemeral,
    "chat.update": _update_message,
    "conversations.list": _conversations_list,
    "files.getUploadURLExternal": _upload_url,
    "files.completeUploadExternal": _complete_upload,
    "oauth.v2.access": _oauth_access,
}
