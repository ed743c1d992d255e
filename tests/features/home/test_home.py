"""App Home: a place to start. Everyone sees their own services (by their email, directly or
through their Cortex teams) with who is on call and the last deploy; admins also see the
connection, with buttons to reconnect and preview the sync; members never see key endings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.crypto import Keyring, new_key
from bot.workspaces import NewKeys, WorkspaceStore
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, SlackApp

pytestmark = pytest.mark.usefixtures("fake_rootly")

NOW = datetime.now(UTC)


async def connect(app: SlackApp, *, rootly: bool = False) -> None:
    keys = NewKeys(app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY if rootly else None)
    await app.services.workspaces.save(TEAM, keys, connected_by=ADMIN)


def seed(app: SlackApp) -> None:
    """Max (max@example.com) is in team-pay, which owns two services, and owns a third by
    name; search belongs to someone else. Cy is on call for payments-api and a member."""
    cortex = app.cortex
    cortex.add_team("team-pay", "MAX@example.com", "ana@example.com")
    cortex.add_team("team-search", "sol@example.com", idp=True)
    cortex.add_service("payments-api", "Payments API", teams=("team-pay",))
    cortex.add_service("ledger", "Ledger <!here>", teams=("team-pay",))
    cortex.add_service("billing", "Billing", emails=("max@example.com",))
    cortex.add_service("search", "Search", teams=("team-search",))
    cortex.add_deploy("payments-api", "release 7", NOW - timedelta(hours=1), environment="prod")
    cortex.add_deploy("payments-api", "revert 8", NOW - timedelta(minutes=5), type="ROLLBACK")
    cortex.oncall["payments-api"] = [
        {
            "provider": "OPSGENIE",
            "escalations": [
                {"escalationLevel": 1, "schedules": [{"user": {"name": "Cy", "email": "cy@x.io"}}]}
            ],
        }
    ]
    app.slack.add_user("U0CY", TEAM, name="Cy Oncall", email="cy@x.io")


async def opened_home(app: SlackApp, user: str) -> dict[str, Any]:
    """The App Home view published for `user` when they open the tab, as Slack stored it."""
    before = len(app.slack.calls_to("views.publish"))
    await app.event({"type": "app_home_opened", "user": user, "tab": "home"})
    published = await app.slack.next_call("views.publish", before + 1)
    assert published.args["user_id"] == user
    return list(app.slack.views.values())[-1]


def texts(view: dict[str, Any]) -> str:
    return json.dumps(view["blocks"], ensure_ascii=False)


def action_ids(view: dict[str, Any]) -> list[str]:
    return [
        element["action_id"]
        for block in view["blocks"]
        for element in [*block.get("elements", ()), block.get("accessory") or {}]
        if "action_id" in element
    ]


async def test_a_member_sees_their_services_and_never_the_keys(slack_app: SlackApp) -> None:
    await connect(slack_app, rootly=True)
    seed(slack_app)

    view = await opened_home(slack_app, MEMBER)

    shown = texts(view)
    assert shown.index("Your services") < shown.index("*Billing*")
    # Their services by name, each with who is on call and the last deploy, rollbacks marked.
    assert shown.index("*Billing*") < shown.index("*Ledger &lt;!here&gt;*")
    assert shown.index("*Ledger &lt;!here&gt;*") < shown.index("*Payments API*")
    assert "Search" not in shown
    assert "On call: <@U0CY> _(Opsgenie)_" in shown
    assert "Last deploy: :rewind: revert 8 (rollback) by someone" in shown
    assert action_ids(view).count(ids.SHOW_SERVICE) == 3
    assert ids.OPEN_LOOKUP in action_ids(view)
    assert ids.RECORD_DEPLOY in action_ids(view)
    # Nothing of the connection: no key endings, no URL, no admin buttons.
    assert "••••" not in shown
    assert slack_app.cortex.base_url not in shown
    assert ids.OPEN_CONNECT not in action_ids(view)
    assert ids.SYNC_DRY_RUN not in action_ids(view)
    assert slack_app.cortex.count("GET", "/api/v1/teams") == 1
    assert len(slack_app.slack.calls_to("users.info")) == 1  # who they are and whether admin


async def test_an_admin_also_sees_the_connection_with_its_buttons(slack_app: SlackApp) -> None:
    await connect(slack_app, rootly=True)
    seed(slack_app)

    view = await opened_home(slack_app, ADMIN)

    shown = texts(view)
    assert "*Payments API*" in shown  # ana@ is in team-pay too
    assert shown.index("Your services") < shown.index("Connection")
    assert "••••cdef" in shown
    assert slack_app.cortex.base_url in shown
    assert "Rootly: connected" in shown
    assert "Incident autopilot" in shown
    assert {ids.OPEN_CONNECT, ids.SYNC_DRY_RUN} <= set(action_ids(view))


async def test_without_rootly_an_admin_gets_no_dry_run_button(slack_app: SlackApp) -> None:
    await connect(slack_app)

    view = await opened_home(slack_app, ADMIN)

    assert ids.OPEN_CONNECT in action_ids(view)
    assert ids.SYNC_DRY_RUN not in action_ids(view)
    assert "Rootly: not connected" in texts(view)


async def test_someone_owning_nothing_is_told_how_they_were_matched(slack_app: SlackApp) -> None:
    await connect(slack_app)
    slack_app.cortex.add_service("search", "Search")

    view = await opened_home(slack_app, MEMBER)

    assert "no service owned by you or your teams (matched by your email, max@example.com)" in (
        texts(view)
    )


async def test_when_cortex_fails_home_still_opens_and_says_so(slack_app: SlackApp) -> None:
    await connect(slack_app)
    slack_app.cortex.api_keys.clear()  # the key was revoked

    view = await opened_home(slack_app, MEMBER)

    assert "Cortex could not list your services just now" in texts(view)


async def test_a_new_workspace_shows_the_connect_button_to_admins_only(
    slack_app: SlackApp,
) -> None:
    member = await opened_home(slack_app, MEMBER)
    admin = await opened_home(slack_app, ADMIN)

    assert "ask a workspace admin to connect it" in texts(member)
    assert ids.OPEN_CONNECT not in action_ids(member)
    assert ids.OPEN_CONNECT in action_ids(admin)
    assert "/cortex connect" in texts(admin)


async def test_open_shows_the_card_in_a_modal_opened_from_home(slack_app: SlackApp) -> None:
    await connect(slack_app)
    seed(slack_app)
    home = await opened_home(slack_app, MEMBER)

    await slack_app.click(ids.SHOW_SERVICE, value="payments-api", user=MEMBER, view=home)
    updated = await slack_app.slack.next_call("views.update")

    assert len(slack_app.slack.calls_to("views.open")) == 1  # opened, not pushed onto Home
    assert slack_app.slack.calls_to("views.push") == []
    assert "Payments API" in json.dumps(updated.args["view"])


async def test_record_a_deploy_opens_the_deploy_modal_from_home(slack_app: SlackApp) -> None:
    await connect(slack_app)
    home = await opened_home(slack_app, MEMBER)

    await slack_app.click(ids.RECORD_DEPLOY, user=MEMBER, view=home)
    opened = await slack_app.slack.next_call("views.open")

    assert opened.args["view"]["callback_id"] == ids.DEPLOY_VIEW
    assert slack_app.slack.calls_to("views.push") == []


async def test_look_up_opens_the_picker(slack_app: SlackApp) -> None:
    await connect(slack_app)
    home = await opened_home(slack_app, MEMBER)

    await slack_app.click(ids.OPEN_LOOKUP, user=MEMBER, view=home)
    opened = await slack_app.slack.next_call("views.open")

    assert ids.SERVICE_SELECT in json.dumps(opened.args["view"])


async def test_the_dry_run_button_sends_the_plan_to_the_admin(slack_app: SlackApp) -> None:
    await connect(slack_app, rootly=True)
    slack_app.cortex.add_service("payments-api", "Payments API")
    home = await opened_home(slack_app, ADMIN)

    await slack_app.click(ids.SYNC_DRY_RUN, user=ADMIN, view=home)
    sent = await slack_app.slack.next_call("chat.postMessage")

    assert sent.args["channel"] == ADMIN
    assert "Dry run" in json.dumps(sent.args.get("blocks"))
    assert slack_app.rootly.bulk_requests() == []  # nothing was written


async def test_a_member_cannot_run_the_dry_run(slack_app: SlackApp) -> None:
    await connect(slack_app, rootly=True)
    home = await opened_home(slack_app, MEMBER)

    await slack_app.click(ids.SYNC_DRY_RUN, user=MEMBER, view=home)
    sent = await slack_app.slack.next_call("chat.postMessage")

    assert "admin" in sent.args["text"]
    assert slack_app.rootly.requests_to("/v1/services") == []


async def test_with_keys_nobody_can_read_a_member_is_told_without_a_cortex_call(
    slack_app: SlackApp,
) -> None:
    lost = Keyring.from_encoded([new_key()])
    keys = NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None)
    await WorkspaceStore(slack_app.services.engine, lost).save(TEAM, keys, connected_by=ADMIN)

    view = await opened_home(slack_app, MEMBER)

    assert "cannot reach Cortex until a workspace admin reconnects it" in texts(view)
    assert "encryption keys" not in texts(view)  # the operator's side is for admins
    assert slack_app.cortex.count() == 0
