"""A Cortex URL is an outbound request a workspace admin chooses: refused addresses and forms get a
field error and reach nothing, what the URL answered is never repeated, and a stored key is never
sent to a URL it was not entered for. Asserted on what the fake Cortex servers received."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.egress import Refusal
from bot.workspaces import NewKeys
from handlers.common import ids
from handlers.common.errors import KEY_FOR_NEW_URL, URL_REFUSALS
from tests.support.apis import ServerFactory
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault
from tests.support.slack_harness import ADMIN, TEAM, AppStarter, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")

NEW_KEY = "cortex-key-for-the-new-url-0123456789"
INTERNAL = "db password hunter2 on 10.0.0.7 (java.net.ConnectException)"


@pytest.fixture
async def target(aiohttp_server: ServerFactory) -> AsyncIterator[FakeCortex]:
    """A second Cortex-like server on 127.0.0.1: the URL a workspace admin types."""
    fake = FakeCortex(api_keys={CORTEX_KEY, NEW_KEY})
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    yield fake
    assert fake.violations == []


async def submit(app: SlackApp, cortex_url: str, cortex_key: str = CORTEX_KEY) -> dict[str, Any]:
    filled = len(app.slack.calls_to("views.update")) + 1
    await app.command("connect")
    update = await app.slack.next_call("views.update", filled)
    form = app.slack.views[update.args["view_id"]]
    values = {
        ids.CONNECT_CORTEX_KEY_BLOCK: {ids.CONNECT_CORTEX_KEY: cortex_key},
        ids.CONNECT_CORTEX_URL_BLOCK: {ids.CONNECT_CORTEX_URL: cortex_url},
        ids.CONNECT_ROOTLY_KEY_BLOCK: {ids.CONNECT_ROOTLY_KEY: ""},
    }
    response = await app.submit(form, values)
    assert response.status == 200
    answer: dict[str, Any] = await response.json()
    return answer


REFUSED = [
    ("https://127.0.0.1:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://localhost:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://[::ffff:127.0.0.1]:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://[::1]:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://2130706433:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://0x7f.1:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://127.1:{port}", Refusal.PRIVATE_ADDRESS),
    ("https://169.254.169.254/latest/meta-data", Refusal.PRIVATE_ADDRESS),
    ("https://[fd00:ec2::254]", Refusal.PRIVATE_ADDRESS),
    ("https://10.0.0.5", Refusal.PRIVATE_ADDRESS),
    ("http://127.0.0.1:{port}", Refusal.PLAIN_HTTP),
    ("http://cortex.example.com", Refusal.PLAIN_HTTP),
    ("https://admin:hunter2@cortex.example.com", Refusal.USERINFO),
    ("https://cortex.example.com/?next=http://127.0.0.1", Refusal.QUERY),
    ("https://cortex.example.com/#top", Refusal.FRAGMENT),
    ("cortex.internal", Refusal.NOT_A_URL),
]


@pytest.mark.parametrize(("url", "refusal"), REFUSED, ids=[url for url, _ in REFUSED])
async def test_a_refused_url_is_a_field_error_and_reaches_nothing(
    slack_app: SlackApp, target: FakeCortex, url: str, refusal: Refusal
) -> None:
    port = target.base_url.rsplit(":", 1)[1]

    answer = await submit(slack_app, url.format(port=port))

    assert answer["errors"] == {ids.CONNECT_CORTEX_URL_BLOCK: URL_REFUSALS[refusal]}
    assert target.received == []
    assert slack_app.cortex.received == []
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_the_operators_own_cortex_url_is_trusted_as_given(slack_app: SlackApp) -> None:
    answer = await submit(slack_app, slack_app.cortex.base_url)  # http://127.0.0.1:...

    assert answer["response_action"] == "update"
    # One check of the key (App Home, published after connecting, reads more in the background).
    checks = [r for r in slack_app.cortex.received if r.query.get("pageSize") == "1"]
    assert len(checks) == 1


def hostile(victim: FakeCortex) -> dict[str, Fault]:
    """What a hostile URL may answer, each kind once."""
    return {
        "server error": Fault(status=500, message=INTERNAL),
        "not found": Fault(status=404, message=INTERNAL),
        "bad request": Fault(status=400, message=INTERNAL),
        "redirect": Fault(status=302, redirect_to=f"{victim.base_url}/api/v1/catalog"),
        "not json": Fault(bad_json=True),
    }


async def test_what_a_url_answered_is_never_repeated_nor_told_apart(
    app_with: AppStarter,
    target: FakeCortex,
    aiohttp_server: ServerFactory,
    unused_tcp_port: int,
) -> None:
    app = await app_with(allow_private_cortex_urls=True)
    victim = FakeCortex()
    victim.base_url = str((await aiohttp_server(victim.app())).make_url("")).rstrip("/")
    said: dict[str, str] = {}

    for kind, fault in hostile(victim).items():
        target.faults.append(fault)
        said[kind] = (await submit(app, target.base_url))["errors"][ids.CONNECT_CORTEX_URL_BLOCK]
    closed = await submit(app, f"http://127.0.0.1:{unused_tcp_port}")
    said["closed port"] = closed["errors"][ids.CONNECT_CORTEX_URL_BLOCK]

    assert len(set(said.values())) == 1, said
    # The operator's default URL is named as a hint; its random test port may hold "404".
    message = said["closed port"].replace(app.settings.cortex_base_url, "the default")
    for leak in ("hunter2", "10.0.0.7", "java", "302", "500", "404", "Error", victim.base_url):
        assert leak not in message
    assert victim.received == []
    assert await app.services.workspaces.get(TEAM) is None


async def test_a_new_url_needs_the_key_again_and_never_gets_the_stored_one(
    app_with: AppStarter, target: FakeCortex
) -> None:
    app = await app_with(allow_private_cortex_urls=True)
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    refused = await submit(app, target.base_url, cortex_key="")
    stored = await app.services.workspaces.get(TEAM)
    moved = await submit(app, target.base_url, cortex_key=NEW_KEY)

    assert refused["errors"] == {ids.CONNECT_CORTEX_KEY_BLOCK: KEY_FOR_NEW_URL}
    assert stored is not None
    assert stored.cortex_url == app.cortex.base_url
    assert moved["response_action"] == "update"
    # The key check, and App Home's reads after connecting when they come first: the new key only.
    assert target.received
    assert {r.headers["Authorization"] for r in target.received} == {f"Bearer {NEW_KEY}"}
    saved = await app.services.workspaces.get(TEAM)
    assert saved is not None
    assert (saved.cortex_url, saved.cortex_key.get_secret_value()) == (target.base_url, NEW_KEY)


async def test_a_stored_url_the_rules_now_refuse_is_explained_and_never_called(
    slack_app: SlackApp, target: FakeCortex
) -> None:
    """Stored while the operator allowed private URLs; the operator has since turned that off."""
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(target.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    answer = await slack_app.answer("payments-api")

    assert "Cortex URL cannot be used" in answer["text"]
    assert URL_REFUSALS[Refusal.PLAIN_HTTP] in answer["text"]
    assert target.received == []
