"""`/cortex sync fields` end to end, and what the chosen fields change in Slack: the modal (open
first, admins only), the stored choice in status and App Home, Slack channel names resolved to
ids, the dry run's before → after, and the progress message while Rootly's rate limit holds."""

from __future__ import annotations

import json
from typing import Any

from bot.sync import SyncField
from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY
from tests.support.fakes.rootly import ROOTLY_KEY, Quota
from tests.support.services import seed_services
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, SlackApp


async def connect(app: SlackApp) -> None:
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )


async def open_form(app: SlackApp, user: str = ADMIN) -> dict[str, Any]:
    updates = len(app.slack.calls_to("views.update"))
    await app.command("sync fields", user=user)
    update = await app.slack.next_call("views.update", updates + 1)
    return app.slack.views[update.args["view_id"]]


def checkboxes(view: dict[str, Any]) -> dict[str, Any]:
    [block] = [block for block in view["blocks"] if block.get("block_id") == ids.SYNC_FIELDS_BLOCK]
    element: dict[str, Any] = block["element"]
    return element


async def submit(
    app: SlackApp, view: dict[str, Any], fields: list[str], user: str = ADMIN
) -> dict[str, Any]:
    state = {
        ids.SYNC_FIELDS_BLOCK: {
            ids.SYNC_FIELDS: {
                "type": "checkboxes",
                "selected_options": [{"value": field} for field in fields],
            }
        }
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": user, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": state}, "team_id": TEAM},
    }
    response = await app.interact(payload)
    assert response.status == 200
    answer: dict[str, Any] = json.loads(await response.text())
    return answer


async def last_text(app: SlackApp, count: int) -> str:
    return str(await app.slack.next_response(count))


async def test_the_modal_opens_first_with_every_field_off_then_saves_the_choice(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)

    form = await open_form(slack_app)
    answer = await submit(slack_app, form, ["owners", "slack_channels"])

    listener_calls = [call.method for call in slack_app.slack.calls if call.method != "auth.test"]
    assert listener_calls[:3] == ["views.open", "users.info", "views.update"]
    element = checkboxes(form)
    assert element["type"] == "checkboxes"
    assert [option["value"] for option in element["options"]] == [f.value for f in SyncField]
    assert "initial_options" not in element  # all off by default
    assert answer["response_action"] == "update"
    assert "owners and slack channels" in str(answer["view"])
    choice = await slack_app.services.sync.fields.get(TEAM)
    assert choice is not None
    assert (choice.fields, choice.set_by) == ({SyncField.OWNERS, SyncField.SLACK_CHANNELS}, ADMIN)

    again = await open_form(slack_app)  # shows what is stored
    initial = checkboxes(again)["initial_options"]
    assert [option["value"] for option in initial] == ["owners", "slack_channels"]


async def test_members_see_a_refusal_and_cannot_submit(slack_app: SlackApp) -> None:
    await connect(slack_app)
    admin_form = await open_form(slack_app)

    refused = await open_form(slack_app, user=MEMBER)
    answer = await submit(slack_app, admin_form, ["paging"], user=MEMBER)

    assert "Only workspace admins" in str(refused["blocks"])
    assert "Only workspace admins" in str(answer["view"])
    assert await slack_app.services.sync.fields.get(TEAM) is None


async def test_a_modal_that_cannot_be_filled_says_why_instead_of_loading_forever(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    slack_app.slack.failures["users.info"] = "ratelimited"

    form = await open_form(slack_app)

    assert "Loading" not in str(form["blocks"])
    assert "went wrong" in str(form["blocks"])


async def test_status_and_app_home_show_the_fields_the_sync_owns(slack_app: SlackApp) -> None:
    await connect(slack_app)

    await slack_app.command("sync status", user=MEMBER)
    before = await last_text(slack_app, 1)
    await slack_app.services.sync.set_fields(TEAM, {SyncField.PAGING}, ADMIN)
    await slack_app.command("sync status", user=MEMBER)
    after = await last_text(slack_app, 2)
    # App Home shows the sync to admins.
    await slack_app.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    home = str((await slack_app.slack.next_call("views.publish")).args["view"])

    assert "the sync owns name and description (`/cortex sync fields`" in before
    assert "the sync owns name, description and paging" in after
    assert f"<@{ADMIN}>" in after
    assert "the sync owns name, description and paging" in home


async def test_slack_channel_names_become_ids_through_slack(slack_app: SlackApp) -> None:
    await connect(slack_app)
    slack_app.slack.add_channel("C0PAYONCALL", "pay-oncall")
    slack_app.slack.add_channel("G0PRIVATE", "pay-private", private=True)
    slack_app.cortex.add_service("pay", "Payments", slack_channels=("pay-oncall", "pay-private"))
    await slack_app.services.sync.set_fields(TEAM, {SyncField.SLACK_CHANNELS}, ADMIN)

    await slack_app.command("sync")
    await slack_app.slack.wait_for(lambda: slack_app.rootly.services, "the sync")

    [listing] = slack_app.slack.calls_to("conversations.list")
    assert listing.args["types"] == "public_channel,private_channel"
    [service] = slack_app.rootly.services.values()
    assert service["slack_channels"] == [
        {"id": "C0PAYONCALL", "name": "pay-oncall"},
        {"id": "G0PRIVATE", "name": "pay-private"},
    ]


async def test_an_app_without_the_channel_scopes_leaves_channels_alone_and_says_why(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    slack_app.slack.failures["conversations.list"] = "missing_scope"  # installed before the scopes
    slack_app.cortex.add_service("pay", "Payments", slack_channels=("pay-oncall",))
    await slack_app.services.sync.set_fields(TEAM, {SyncField.SLACK_CHANNELS}, ADMIN)

    await slack_app.command("sync")
    final = await slack_app.slack.wait_for(
        lambda: [c for c in slack_app.slack.calls_to("chat.update") if "created" in str(c.args)],
        "the summary",
    )

    assert "the app lacks a permission it needs: an admin can reinstall it" in str(final[0].args)
    [service] = slack_app.rootly.services.values()
    assert "slack_channels" not in service


async def test_the_dry_run_shows_each_field_before_and_after(slack_app: SlackApp) -> None:
    await connect(slack_app)
    slack_app.cortex.add_service("pay", "Payments API", description="Moves <money>")
    slack_app.rootly.add_service("Payments", cortex_id="pay", description="Old words")

    await slack_app.command("sync dry-run")
    plan = await last_text(slack_app, 1)

    assert "name: Payments → Payments API" in plan
    assert "description: Old words → Moves &lt;money&gt;" in plan


async def test_the_progress_says_when_the_sync_waits_for_rootlys_rate_limit(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app)
    for tag in seed_services(slack_app.cortex, 4):  # each written alone: another tool's services
        name = tag.replace("-", " ").title()
        slack_app.rootly.add_service(name, cortex_id=tag, external_id=f"backstage:{tag}")
    slack_app.rootly.quota = Quota(reads=5, writes=3, window=2.5)  # the fourth write waits

    await slack_app.command("sync")
    final = await slack_app.slack.wait_for(
        lambda: [c for c in slack_app.slack.calls_to("chat.update") if "updated" in str(c.args)],
        "the summary",
        seconds=15,
    )

    updates = [str(call.args) for call in slack_app.slack.calls_to("chat.update")]
    assert any("Waiting for Rootly's rate limit" in update for update in updates)
    assert "4 updated" in str(final[0].args)
    assert "Waiting" not in str(final[0].args)
    assert slack_app.rootly.refused == 0
