"""The workspace's connection: connect (keys checked live, stored sealed), disconnect, and
uninstalling or revoking the bot token."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.crypto import Keyring, new_key
from bot.workspaces import NewKeys, WorkspaceStore
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.slack_harness import (
    ADMIN,
    BOT_TOKEN,
    MEMBER,
    TEAM,
    AppStarter,
    SlackApp,
    eventually,
)

pytestmark = pytest.mark.usefixtures("fake_rootly")


def connect_values(
    cortex_key: str = "", cortex_url: str = "", rootly_key: str = ""
) -> dict[str, dict[str, str]]:
    return {
        ids.CONNECT_CORTEX_KEY_BLOCK: {ids.CONNECT_CORTEX_KEY: cortex_key},
        ids.CONNECT_CORTEX_URL_BLOCK: {ids.CONNECT_CORTEX_URL: cortex_url},
        ids.CONNECT_ROOTLY_KEY_BLOCK: {ids.CONNECT_ROOTLY_KEY: rootly_key},
    }


async def open_connect_form(app: SlackApp, user: str = ADMIN) -> dict[str, Any]:
    response = await app.command("connect", user=user)
    assert response.status == 200
    update = await app.slack.next_call("views.update")
    return app.slack.views[update.args["view_id"]]


async def connect(app: SlackApp, **values: str) -> dict[str, Any]:
    form = await open_connect_form(app)
    response = await app.submit(form, connect_values(**values))
    assert response.status == 200
    answer: dict[str, Any] = await response.json()
    return answer


async def test_connect_opens_the_modal_before_any_other_call(slack_app: SlackApp) -> None:
    await open_connect_form(slack_app)

    # auth.test is Bolt authorising the request before any listener runs (once, then cached).
    listener_calls = [call for call in slack_app.slack.calls if call.method != "auth.test"]
    assert listener_calls[0].method == "views.open"
    assert listener_calls[0].args["trigger_id"] == slack_app.trigger_ids[0]
    assert [call.method for call in listener_calls[1:]] == ["users.info", "views.update"]


async def test_a_failure_after_the_loading_modal_opened_is_shown_in_it(
    slack_app: SlackApp,
) -> None:
    slack_app.slack.failures["users.info"] = "fatal_error"  # who is asking cannot be told

    await slack_app.command("connect")
    opened = await slack_app.slack.next_call("views.open")
    updated = await slack_app.slack.next_call("views.update")

    assert "Loading" in str(opened.args["view"]["blocks"])
    assert updated.args["view_id"] == next(iter(slack_app.slack.views))
    shown = str(updated.args["view"]["blocks"])
    assert "Something went wrong on our side" in shown
    assert "Traceback" not in shown
    assert slack_app.slack.responses == []  # told in the modal, not a second time elsewhere


async def test_connect_checks_keys_live_and_stores_them_sealed(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    answer = await connect(slack_app, cortex_key=CORTEX_KEY, rootly_key=ROOTLY_KEY)

    assert answer["response_action"] == "update"
    assert "••••cdef" in str(answer["view"])
    stored = await slack_app.services.workspaces.get(TEAM)
    assert stored.cortex_key.get_secret_value() == CORTEX_KEY
    assert stored.rootly_key.get_secret_value() == ROOTLY_KEY
    assert stored.cortex_url == slack_app.cortex.base_url
    assert stored.connected_by == ADMIN
    check = slack_app.cortex.requests_to("/api/v1/catalog")[0]
    assert check.headers["Authorization"] == f"Bearer {CORTEX_KEY}"
    assert slack_app.rootly.count("GET") == 1
    await slack_app.slack.next_call("views.publish")
    database = slack_app.database_file.read_bytes()
    for secret in (CORTEX_KEY, ROOTLY_KEY, BOT_TOKEN):
        assert secret.encode() not in database
        assert secret not in caplog.text


async def test_a_refused_cortex_key_is_an_inline_error_and_nothing_is_saved(
    slack_app: SlackApp,
) -> None:
    answer = await connect(slack_app, cortex_key="not-a-valid-key")

    assert answer["response_action"] == "errors"
    assert "refused" in answer["errors"][ids.CONNECT_CORTEX_KEY_BLOCK]
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_an_unreachable_cortex_url_is_an_inline_error(
    app_with: AppStarter, unused_tcp_port: int
) -> None:
    slack_app = await app_with(allow_private_cortex_urls=True)
    answer = await connect(
        slack_app, cortex_key=CORTEX_KEY, cortex_url=f"http://127.0.0.1:{unused_tcp_port}"
    )

    assert answer["response_action"] == "errors"
    assert "No Cortex API answered" in answer["errors"][ids.CONNECT_CORTEX_URL_BLOCK]
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_a_malformed_url_is_an_inline_error_without_any_call(slack_app: SlackApp) -> None:
    answer = await connect(slack_app, cortex_key=CORTEX_KEY, cortex_url="cortex.internal")

    assert ids.CONNECT_CORTEX_URL_BLOCK in answer["errors"]
    assert slack_app.cortex.received == []


async def test_a_refused_rootly_key_is_an_inline_error_on_its_field(slack_app: SlackApp) -> None:
    answer = await connect(slack_app, cortex_key=CORTEX_KEY, rootly_key="wrong-rootly-key")

    assert list(answer["errors"]) == [ids.CONNECT_ROOTLY_KEY_BLOCK]
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_stored_keys_show_masked_and_an_empty_field_keeps_them(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )

    form = await open_connect_form(slack_app)
    answer = await slack_app.submit(form, connect_values(cortex_url=slack_app.cortex.base_url))

    assert "••••cdef" in str(form["blocks"])
    assert CORTEX_KEY not in str(form)
    assert (await answer.json())["response_action"] == "update"
    stored = await slack_app.services.workspaces.get(TEAM)
    assert stored.cortex_key.get_secret_value() == CORTEX_KEY
    assert stored.rootly_key.get_secret_value() == ROOTLY_KEY
    # Nothing changed, nothing to check (App Home, published after connecting, reads the catalog).
    assert [r for r in slack_app.cortex.received if r.query.get("pageSize") == "1"] == []


async def test_members_are_refused_connect(slack_app: SlackApp) -> None:
    form = await open_connect_form(slack_app, user=MEMBER)
    answer = await slack_app.submit(form, connect_values(cortex_key=CORTEX_KEY), user=MEMBER)

    assert "Only workspace admins" in str(form["blocks"])
    assert "Only workspace admins" in str((await answer.json())["view"])
    assert await slack_app.services.workspaces.get(TEAM) is None
    assert slack_app.cortex.received == []


async def test_bot_admins_may_connect_without_being_workspace_admins(
    app_with: AppStarter,
) -> None:
    app = await app_with(bot_admins=[MEMBER])
    form = await open_connect_form(app, user=MEMBER)

    assert ids.CONNECT_CORTEX_KEY_BLOCK in str(form["blocks"])


async def test_disconnect_asks_then_deletes_the_keys(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    await slack_app.command("disconnect")
    confirmation = await slack_app.slack.next_response()
    assert await slack_app.services.workspaces.get(TEAM) is not None
    await slack_app.click(ids.DISCONNECT_CONFIRM)
    done = await slack_app.slack.next_response(2)

    assert ids.DISCONNECT_CONFIRM in str(confirmation["blocks"])
    assert confirmation["response_type"] == "ephemeral"
    assert done["replace_original"] is True
    assert "Disconnected" in done["text"]
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_members_cannot_disconnect(slack_app: SlackApp) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    await slack_app.command("disconnect", user=MEMBER)
    await slack_app.click(ids.DISCONNECT_CONFIRM, user=MEMBER)
    refusals = [await slack_app.slack.next_response(n) for n in (1, 2)]

    assert all("Only workspace admins" in refusal["text"] for refusal in refusals)
    assert await slack_app.services.workspaces.get(TEAM) is not None


async def test_the_connect_button_opens_the_connect_modal(slack_app: SlackApp) -> None:
    await slack_app.click(ids.OPEN_CONNECT)

    opened = await slack_app.slack.next_call("views.open")
    await slack_app.slack.next_call("views.update")
    assert opened.args["trigger_id"] == f"trigger-click-{ids.OPEN_CONNECT}"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_uninstalling_deletes_the_keys(slack_app: SlackApp, event: dict[str, Any]) -> None:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )

    response = await slack_app.event(event)

    assert response.status == 200
    await eventually(
        lambda: slack_app.services.workspaces.get(TEAM), lambda found: found is None, "keys deleted"
    )


# --- keys that can no longer be opened (the key file lost, ENCRYPTION_KEYS changed) --------------


async def lose_the_key(app: SlackApp, rootly_key: str | None = ROOTLY_KEY) -> None:
    """Keys stored under an encryption key this process does not have."""
    lost = Keyring.from_encoded([new_key()])
    keys = NewKeys(app.cortex.base_url, CORTEX_KEY, rootly_key)
    await WorkspaceStore(app.services.engine, lost).save(TEAM, keys, connected_by=ADMIN)


async def health(app: SlackApp) -> tuple[int, dict[str, Any]]:
    response = await app.http.get("/healthz")
    return response.status, await response.json()


async def test_lost_keys_are_said_and_new_ones_stored_through_the_connect_modal(
    slack_app: SlackApp,
) -> None:
    await lose_the_key(slack_app)
    slack_app.cortex.add_service("payments-api", "Payments API")

    status, lost = await health(slack_app)
    await slack_app.command("payments-api")
    card_refused = await slack_app.slack.next_response()
    form = await open_connect_form(slack_app)
    without_key = await (await slack_app.submit(form, connect_values())).json()
    with_key = await (await slack_app.submit(form, connect_values(cortex_key=CORTEX_KEY))).json()
    await slack_app.command("payments-api")
    card = await slack_app.slack.next_response(2)

    assert (status, lost["status"]) == (200, "degraded")
    assert "1 workspace" in lost["stored_keys"]
    assert "stored keys can no longer be read" in card_refused["text"]
    assert "ENCRYPTION_KEYS" not in card_refused["text"]  # an operator's setting
    shown = str(form["blocks"])
    assert "cannot be read with this server's encryption keys" in shown
    assert "stored: leave empty to keep it" not in shown
    assert "the unreadable stored key is removed" in shown
    assert without_key["errors"] == {ids.CONNECT_CORTEX_KEY_BLOCK: "Enter your Cortex API key."}
    assert with_key["response_action"] == "update"
    stored = await slack_app.services.workspaces.get(TEAM)
    assert stored is not None
    assert stored.cortex_key.get_secret_value() == CORTEX_KEY
    assert stored.rootly_key is None  # unreadable and not entered again: removed
    assert await health(slack_app) == (
        200,
        {"status": "ok", "database": "ok", "schema": "current"},
    )
    assert card["text"] == "Payments API"


async def test_lost_keys_can_be_forgotten(slack_app: SlackApp) -> None:
    await lose_the_key(slack_app)

    await slack_app.command("disconnect")
    confirmation = await slack_app.slack.next_response()
    await slack_app.click(ids.DISCONNECT_CONFIRM)
    done = await slack_app.slack.next_response(2)

    assert ids.DISCONNECT_CONFIRM in str(confirmation["blocks"])
    assert "Disconnected" in done["text"]
    assert await slack_app.services.workspaces.describe(TEAM) is None


async def test_help_and_app_home_say_the_keys_are_lost(slack_app: SlackApp) -> None:
    await lose_the_key(slack_app, rootly_key=None)

    await slack_app.command("help")
    help_answer = await slack_app.slack.next_response()
    await slack_app.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    home = await slack_app.slack.next_call("views.publish")

    assert "What /cortex can do" in help_answer["text"]
    assert "cannot be read with this server's encryption keys" in str(home.args["view"])


# --- what a form or a person may hold that the bot must not trust --------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://admin:hunter2@cortex.example.com",
        "https://admin@cortex.example.com",
        "https://cortex.example.com:notaport",
        "https://[::1",
        "https://",
    ],
    ids=["user and password", "user", "port not a number", "unclosed bracket", "no host"],
)
async def test_a_url_cortex_would_not_take_is_an_inline_error_without_any_call(
    slack_app: SlackApp, url: str
) -> None:
    answer = await connect(slack_app, cortex_key=CORTEX_KEY, cortex_url=url)

    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [ids.CONNECT_CORTEX_URL_BLOCK]
    assert "hunter2" not in str(answer)
    assert slack_app.cortex.received == []
    assert await slack_app.services.workspaces.get(TEAM) is None


async def test_an_admin_of_another_workspace_is_no_admin_here(slack_app: SlackApp) -> None:
    guest = "U0GUEST"
    slack_app.slack.add_user(guest, "T0OTHER", name="Gus Guest", admin=True, owner=True)
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    form = await open_connect_form(slack_app, user=guest)
    answer = await slack_app.submit(form, connect_values(cortex_key="theirs-1234"), user=guest)
    await slack_app.command("disconnect", user=guest)
    refusal = await slack_app.slack.next_response()

    assert "Only workspace admins" in str(form["blocks"])
    assert "Only workspace admins" in str((await answer.json())["view"])
    assert "Only workspace admins" in refusal["text"]
    stored = await slack_app.services.workspaces.get(TEAM)
    assert stored is not None
    assert stored.cortex_key.get_secret_value() == CORTEX_KEY
