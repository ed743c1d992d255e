"""Multi-workspace mode: OAuth install of a second workspace; each one sees only its own data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from bot.workspaces import NewKeys
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.slack_harness import ADMIN, TEAM, AppStarter, SlackApp

BETA = "T0BETA"
BETA_ADMIN = "U0BETAADMIN"
BETA_TOKEN = "xoxb-beta-bot-token-0987654321"
ALPHA_TOKEN = "xoxb-alpha-installed-1234"


@pytest.fixture
async def oauth_app(app_with: AppStarter) -> SlackApp:
    return await app_with(
        slack_bot_token=None,
        slack_client_id="1111.2222",
        slack_client_secret="oauth-client-secret",
    )


def oauth_answer(team_id: str, token: str, installer: str) -> dict[str, Any]:
    return {
        "ok": True,
        "app_id": "A0CORTEX",
        "authed_user": {"id": installer},
        "scope": "commands,chat:write,chat:write.public,users:read,users:read.email",
        "token_type": "bot",
        "access_token": token,
        "bot_user_id": "UBOT" + team_id[-4:],
        "team": {"id": team_id, "name": team_id.title()},
        "enterprise": None,
        "is_enterprise_install": False,
    }


async def install(app: SlackApp, team_id: str, token: str, installer: str) -> None:
    """Walk the OAuth flow as a browser would: install page, Slack's redirect back with a code."""
    app.slack.add_workspace(team_id, token, "UBOT" + team_id[-4:])
    app.slack.add_user(installer, team_id, name="Bea Admin", email="bea@example.com", admin=True)
    code = f"code-{team_id}"
    app.slack.oauth_codes[code] = oauth_answer(team_id, token, installer)

    page = await app.http.get("/slack/install")
    assert page.status == 200
    state = re.search(r"state=([\w-]+)", await page.text())
    assert state is not None
    # The state cookie is Secure; a browser on https sends it back, the test client must be told.
    cookie = page.cookies["slack-app-oauth-state"].value
    finished = await app.http.get(
        "/slack/oauth_redirect",
        params={"code": code, "state": state.group(1)},
        headers={"Cookie": f"slack-app-oauth-state={cookie}"},
    )
    assert finished.status == 200, await finished.text()


async def test_a_second_workspace_installs_and_is_served_with_its_own_token(
    oauth_app: SlackApp,
) -> None:
    await install(oauth_app, TEAM, ALPHA_TOKEN, ADMIN)
    await install(oauth_app, BETA, BETA_TOKEN, BETA_ADMIN)

    await oauth_app.command("help", user=BETA_ADMIN, team=BETA)
    await oauth_app.slack.next_response()

    exchange = oauth_app.slack.calls_to("oauth.v2.access")
    assert len(exchange) == 2
    beta_calls = [call for call in oauth_app.slack.calls if call.method == "users.info"]
    assert beta_calls[-1].token == BETA_TOKEN
    database = oauth_app.database_file.read_bytes()
    assert BETA_TOKEN.encode() not in database
    assert ALPHA_TOKEN.encode() not in database


async def test_each_workspace_is_authorised_once_then_from_the_cache(oauth_app: SlackApp) -> None:
    await install(oauth_app, BETA, BETA_TOKEN, BETA_ADMIN)
    during_install = len(oauth_app.slack.calls_to("auth.test"))

    for _ in range(3):
        await oauth_app.command("help", user=BETA_ADMIN, team=BETA)
    await oauth_app.slack.next_response(3)

    assert len(oauth_app.slack.calls_to("auth.test")) == during_install + 1


async def test_an_install_with_a_forged_state_is_refused(oauth_app: SlackApp) -> None:
    oauth_app.slack.oauth_codes["code-x"] = oauth_answer(BETA, BETA_TOKEN, BETA_ADMIN)

    finished = await oauth_app.http.get(
        "/slack/oauth_redirect", params={"code": "code-x", "state": "forged"}
    )

    assert finished.status == 400
    assert oauth_app.slack.calls_to("oauth.v2.access") == []


async def test_each_workspace_sees_only_its_own_connection(oauth_app: SlackApp) -> None:
    await install(oauth_app, TEAM, ALPHA_TOKEN, ADMIN)
    await install(oauth_app, BETA, BETA_TOKEN, BETA_ADMIN)
    await oauth_app.services.workspaces.save(
        TEAM, NewKeys(oauth_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    await oauth_app.event({"type": "app_home_opened", "user": BETA_ADMIN, "tab": "home"}, team=BETA)
    beta_home = await oauth_app.slack.next_call("views.publish")
    await oauth_app.command("connect", user=BETA_ADMIN, team=BETA)
    beta_form = await oauth_app.slack.next_call("views.update")

    assert beta_home.token == BETA_TOKEN
    assert "/cortex connect" in str(beta_home.args["view"])
    assert "••••" not in str(beta_home.args["view"])
    assert "••••" not in str(beta_form.args["view"])


async def test_uninstall_deletes_that_workspace_only(oauth_app: SlackApp) -> None:
    await install(oauth_app, TEAM, ALPHA_TOKEN, ADMIN)
    await install(oauth_app, BETA, BETA_TOKEN, BETA_ADMIN)
    store = oauth_app.services.installations

    await oauth_app.event({"type": "app_uninstalled"}, team=BETA)
    await oauth_app.slack.wait_for(lambda: True)

    async def beta_bot() -> Any:
        return await store.async_find_bot(enterprise_id=None, team_id=BETA)

    from tests.support.slack_harness import eventually

    await eventually(beta_bot, lambda bot: bot is None, "beta's installation deleted")
    alpha = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert alpha is not None
    assert alpha.bot_token == ALPHA_TOKEN


async def oauth_states(app: SlackApp) -> list[tuple[str, datetime]]:
    async with app.services.engine.connect() as connection:
        rows = await connection.execute(text("SELECT state, expire_at FROM slack_oauth_states"))
        return [(row[0], row[1]) for row in rows]


async def test_oauth_states_never_used_are_deleted_once_expired(oauth_app: SlackApp) -> None:
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    async with oauth_app.services.engine.begin() as connection:
        for number in range(50):
            await connection.execute(
                text("INSERT INTO slack_oauth_states (state, expire_at) VALUES (:s, :e)"),
                {"s": f"abandoned-{number}", "e": long_ago},
            )

    for _ in range(3):
        assert (await oauth_app.http.get("/slack/install")).status == 200

    left = await oauth_states(oauth_app)
    assert len(left) == 3
    assert not any(state.startswith("abandoned") for state, _ in left)
