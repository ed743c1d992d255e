"""The incident modal end to end: entry points, live context, Rootly linking, partial failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY, Fault
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.fakes.rootly import Fault as RootlyFault
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, SlackApp

NOW = datetime.now(UTC)


async def connect(app: SlackApp, *, rootly: bool = True) -> None:
    keys = NewKeys(app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY if rootly else None)
    await app.services.workspaces.save(TEAM, keys, connected_by=ADMIN)


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    await connect(slack_app)
    cortex = slack_app.cortex
    cortex.add_service("payments-api", "Payments API", teams=("team-pay",))
    cortex.add_service("ledger", "Ledger", emails=("lea@example.com",))
    cortex.add_deploy("payments-api", "hotfix 7", NOW - timedelta(hours=2), environment="prod")
    cortex.add_deploy("payments-api", "old release", NOW - timedelta(days=3))
    cortex.add_event("payments-api", "Feature flag on", NOW - timedelta(hours=1), type="FLAG")
    cortex.oncall["payments-api"] = [
        {
            "provider": "OPSGENIE",
            "escalations": [{"escalationLevel": 1, "schedules": [{"user": {"name": "Cy Oncall"}}]}],
        }
    ]
    cortex.scores["payments-api"] = [
        {
            "scorecardId": 1,
            "scorecardName": "Readiness",
            "score": 5,
            "scorePercentage": 0.5,
            "totalPossibleScore": 10,
            "ladderLevels": [{"level": {"name": "Silver", "number": 2}}],
        }
    ]
    return slack_app


def picked_state(
    tags: list[str], incident: str | None = None, actions: list[str] | None = None
) -> dict[str, Any]:
    state: dict[str, Any] = {
        ids.INCIDENT_SERVICES_BLOCK: {
            ids.INCIDENT_SERVICES: {
                "type": "multi_external_select",
                "selected_options": [{"value": tag} for tag in tags],
            }
        }
    }
    if incident:
        state[ids.INCIDENT_BLOCK] = {
            ids.INCIDENT_SELECT: {"type": "static_select", "selected_option": {"value": incident}}
        }
    if actions is not None:
        state[ids.INCIDENT_ACTIONS_BLOCK] = {
            ids.INCIDENT_ACTIONS: {
                "type": "checkboxes",
                "selected_options": [{"value": action} for action in actions],
            }
        }
    return state


async def opened_modal(app: SlackApp) -> dict[str, Any]:
    await app.command("incident")
    await app.slack.next_call("views.update")
    return next(iter(app.slack.views.values()))


async def pick(
    app: SlackApp, view: dict[str, Any], tags: list[str], actions: list[str] | None = None
) -> dict[str, Any]:
    """Services picked (or, with `actions`, those ticked): the view Slack is sent then."""
    updates = len(app.slack.calls_to("views.update"))
    action_id, block_id = (
        (ids.INCIDENT_SERVICES, ids.INCIDENT_SERVICES_BLOCK)
        if actions is None
        else (ids.INCIDENT_ACTIONS, ids.INCIDENT_ACTIONS_BLOCK)
    )
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "trigger_id": "trigger-pick",
        "container": {"type": "view", "view_id": view["id"]},
        "view": {**view, "state": {"values": picked_state(tags, actions=actions)}},
        "actions": [{"action_id": action_id, "block_id": block_id}],
    }
    await app.interact(payload)
    view_sent: dict[str, Any] = (await app.slack.next_call("views.update", updates + 1)).args[
        "view"
    ]
    return view_sent


async def submit(
    app: SlackApp,
    view: dict[str, Any],
    tags: list[str],
    incident: str | None,
    actions: list[str] | None,
) -> Any:
    """Submit the modal; `actions` None: before the choices were shown (still loading)."""
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": picked_state(tags, incident, actions)}},
    }
    response = await app.interact(payload)
    text = await response.text()
    return json.loads(text) if text else None


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    return found


def ticked(view: dict[str, Any]) -> list[str]:
    element = block(view, ids.INCIDENT_ACTIONS_BLOCK)["element"]
    return [option["value"] for option in element.get("initial_options") or ()]


# --- opening -----------------------------------------------------------------------------------


async def test_the_command_opens_the_modal_first_and_preselects_the_channels_incident(
    app: SlackApp,
) -> None:
    app.rootly.add_incident("Elsewhere", slack_channel_id="C0OTHER")
    ours = app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL)

    await app.command("incident")
    updated = await app.slack.next_call("views.update")

    listener_calls = [c.method for c in app.slack.calls if c.method != "auth.test"]
    assert listener_calls[0] == "views.open"
    picker = next(
        b for b in updated.args["view"]["blocks"] if b.get("block_id") == ids.INCIDENT_BLOCK
    )
    assert picker["element"]["initial_option"]["value"] == ours
    assert len(picker["element"]["options"]) == 2


async def test_incidents_in_triage_are_offered_with_the_other_active_ones(app: SlackApp) -> None:
    rootly = app.rootly
    rootly.add_incident("Being fixed", status="mitigated", created_at=NOW - timedelta(hours=1))
    rootly.add_incident("Just declared", status="in_triage", created_at=NOW)
    rootly.add_incident("Long over", status="resolved", created_at=NOW - timedelta(hours=2))

    await app.command("incident")
    updated = await app.slack.next_call("views.update")

    picker = next(
        b for b in updated.args["view"]["blocks"] if b.get("block_id") == ids.INCIDENT_BLOCK
    )
    offered = [option["text"]["text"] for option in picker["element"]["options"]]
    assert offered == ["#2 Just declared (in_triage)", "#1 Being fixed (mitigated)"]


async def test_rootly_failing_costs_the_incident_picker_not_the_modal(app: SlackApp) -> None:
    app.rootly.faults += [RootlyFault(status=503, path_contains="/v1/incidents") for _ in range(4)]

    await app.command("incident")
    updated = await app.slack.next_call("views.update")

    shown = str(updated.args["view"]["blocks"])
    assert ids.INCIDENT_SERVICES_BLOCK in shown
    assert "Rootly is not answering right now" in shown
    assert ids.ATTACH_TO_INCIDENT not in shown
    assert ticked(updated.args["view"]) == [ids.POST_INCIDENT_SUMMARY]


async def test_an_unconnected_workspace_sees_why_in_the_modal(slack_app: SlackApp) -> None:
    await slack_app.command("incident")
    opened = await slack_app.slack.next_call("views.open")
    updated = await slack_app.slack.next_call("views.update")

    assert "Loading" in str(opened.args["view"]["blocks"])
    assert "not connected to Cortex" in str(updated.args["view"]["blocks"])


async def test_with_rootly_the_incident_comes_first_and_attach_and_post_start_ticked(
    app: SlackApp,
) -> None:
    ours = app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL, severity="SEV1")

    await app.command("incident")
    opened = await app.slack.next_call("views.open")
    updated = (await app.slack.next_call("views.update")).args["view"]

    assert "Loading the Rootly incidents" in str(opened.args["view"]["blocks"][0])
    assert ids.INCIDENT_ACTIONS_BLOCK not in str(opened.args["view"]["blocks"])
    first = updated["blocks"][0]
    assert first["block_id"] == ids.INCIDENT_BLOCK
    assert first["element"]["initial_option"]["value"] == ours
    assert first["element"]["initial_option"]["text"]["text"] == "#1 Checkout down · SEV1 (started)"
    assert ticked(updated) == [ids.ATTACH_TO_INCIDENT, ids.POST_INCIDENT_SUMMARY]
    assert updated["submit"]["text"] == "Attach and post"
    assert updated["close"]["text"] == "Cancel"


async def test_without_rootly_posting_starts_ticked_and_attaching_is_not_offered(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app, rootly=False)

    await slack_app.command("incident")
    updated = (await slack_app.slack.next_call("views.update")).args["view"]

    assert "Connect Rootly" in str(updated["blocks"][0])
    assert ticked(updated) == [ids.POST_INCIDENT_SUMMARY]
    offered = block(updated, ids.INCIDENT_ACTIONS_BLOCK)["element"]["options"]
    assert ids.ATTACH_TO_INCIDENT not in [option["value"] for option in offered]
    assert updated["submit"]["text"] == "Post"


async def test_ticking_what_to_do_changes_what_the_submit_button_says(app: SlackApp) -> None:
    app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL)
    view = await opened_modal(app)
    actions = [ids.ATTACH_TO_INCIDENT, ids.RECORD_INCIDENT_EVENTS, ids.POST_INCIDENT_SUMMARY]

    updated = await pick(app, view, [], actions)

    assert ticked(updated) == actions
    assert updated["submit"]["text"] == "Attach, record and post"


@pytest.mark.parametrize(
    ("callback_id", "message"),
    [
        (ids.INCIDENT_SHORTCUT, None),
        (ids.INCIDENT_MESSAGE_SHORTCUT, {"type": "message", "ts": "1700000000.1", "text": "down"}),
    ],
    ids=["global shortcut", "message shortcut"],
)
async def test_the_shortcuts_open_the_modal(
    app: SlackApp, callback_id: str, message: dict[str, Any] | None
) -> None:
    await app.shortcut(callback_id, message=message)
    opened = await app.slack.next_call("views.open")

    assert opened.args["view"]["callback_id"] == ids.INCIDENT_VIEW
    assert opened.args["trigger_id"] == f"trigger-shortcut-{callback_id}"


async def test_the_service_picker_loads_options(app: SlackApp) -> None:
    answer = await app.options(ids.INCIDENT_SERVICES, "led")

    assert [option["value"] for option in answer["options"]] == ["ledger"]


# --- picking services ------------------------------------------------------------------------


async def test_picking_services_shows_their_context_from_concurrent_calls(app: SlackApp) -> None:
    view = await opened_modal(app)
    app.cortex.latency = 0.05

    updated = await pick(app, view, ["payments-api", "ledger"])

    shown = str(updated["blocks"])
    for expected in (
        "Payments API",
        "Team-Pay",
        "Cy Oncall",
        "hotfix 7",
        "Feature flag on",
        "Readiness Silver",
        "Ledger",
        "lea@example.com",
    ):
        assert expected in shown
    assert "old release" not in shown  # older than 24 hours
    services_block = block(updated, ids.INCIDENT_SERVICES_BLOCK)
    assert [o["value"] for o in services_block["element"]["initial_options"]] == [
        "payments-api",
        "ledger",
    ]
    assert services_block["element"]["initial_options"][0]["text"]["text"] == (
        "Payments API (payments-api)"
    )
    assert app.cortex.max_in_flight >= 6
    assert len(updated["blocks"]) <= 100


async def test_who_rootly_pages_is_shown_when_cortex_has_no_on_call(app: SlackApp) -> None:
    service_id = app.rootly.add_service("Ledger", cortex_id="ledger")
    app.rootly.page("Ledger primary", [("Lu Ledger", "lu@example.com")], service_ids=(service_id,))
    view = await opened_modal(app)

    updated = await pick(app, view, ["payments-api", "ledger"])

    shown = json.dumps(updated["blocks"])
    assert "Cy Oncall _(Opsgenie)_" in shown  # Cortex's integration, by its name
    assert "Lu Ledger until <!date^" in shown
    assert "|Ledger primary> in Rootly)_" in shown


async def test_a_cortex_failure_for_one_service_is_noted_and_the_rest_shown(
    app: SlackApp,
) -> None:
    view = await opened_modal(app)
    app.cortex.faults += [Fault(status=503, path_contains="/catalog/ledger") for _ in range(20)]

    updated = await pick(app, view, ["payments-api", "ledger"])

    shown = str(updated["blocks"])
    assert "Cy Oncall" in shown
    assert "not answering" in shown


async def test_what_changed_is_one_timeline_newest_first_with_rollbacks_marked(
    app: SlackApp,
) -> None:
    app.cortex.add_deploy(
        "ledger", "undo 6", NOW - timedelta(minutes=30), type="ROLLBACK", environment="prod"
    )
    view = await opened_modal(app)

    updated = await pick(app, view, ["payments-api", "ledger"])

    [timeline] = [b for b in updated["blocks"] if "What changed" in str(b)]
    lines = timeline["text"]["text"].split("\n")
    assert lines[0] == "*What changed in the last 24 hours*, newest first"
    assert ":rewind: *Rollback* of `ledger`: undo 6" in lines[1]
    assert "`payments-api`: Feature flag on" in lines[2]
    assert "`payments-api`: hotfix 7" in lines[3]
    assert len(lines) == 4  # "old release" is older than 24 hours


# --- submitting --------------------------------------------------------------------------------


async def test_submit_merges_services_records_events_and_posts_the_summary(app: SlackApp) -> None:
    already = app.rootly.add_service("Database")
    payments = app.rootly.add_service("Payments API", cortex_id="payments-api")
    incident = app.rootly.add_incident(
        "Checkout down", slack_channel_id=CHANNEL, service_ids=(already,), severity="SEV1"
    )
    view = await opened_modal(app)
    actions = [ids.ATTACH_TO_INCIDENT, ids.RECORD_INCIDENT_EVENTS, ids.POST_INCIDENT_SUMMARY]

    answer = await submit(app, view, ["payments-api"], incident, actions)
    result = await app.slack.next_call("chat.postEphemeral")

    assert answer is None
    assert app.rootly.incident_services[incident] == [already, payments]
    [event] = [
        r.body for r in app.cortex.requests_to("/api/v1/catalog/payments-api/custom-events", "POST")
    ]
    assert event["type"] == "INCIDENT"
    assert event["title"] == "Checkout down"
    assert event["url"].endswith(incident)
    posted = app.slack.calls_to("chat.postMessage")[0]
    assert posted.args["channel"] == CHANNEL
    assert "hotfix 7" in str(posted.args["blocks"])
    assert posted.args["text"].startswith("Incident context: Checkout down · <https://")
    assert posted.args["text"].endswith(
        f"{incident}|Rootly incident #1> · status *started* · severity *SEV1*"
    )
    assert "attached payments-api" in result.args["text"]
    assert "recorded an INCIDENT event" in result.args["text"]


async def test_the_posted_context_mentions_who_is_on_call_and_names_the_unknown(
    app: SlackApp,
) -> None:
    app.slack.add_user("U0CY", TEAM, name="Cy Oncall", email="Cy@Example.com")
    app.cortex.oncall["payments-api"][0]["escalations"].append(
        {
            "escalationLevel": 1,
            "schedules": [{"user": {"name": "Di Backup", "email": "di@example.com"}}],
        }
    )
    app.cortex.oncall["payments-api"][0]["escalations"][0]["schedules"][0]["user"]["email"] = (
        "cy@example.com"
    )
    view = await opened_modal(app)

    await submit(app, view, ["payments-api"], None, [ids.POST_INCIDENT_SUMMARY])
    await app.slack.next_call("chat.postEphemeral")

    posted = str(app.slack.calls_to("chat.postMessage")[0].args["blocks"])
    assert "On call: <@U0CY>, Di Backup" in posted
    looked_up = [call.args["email"] for call in app.slack.calls_to("users.lookupByEmail")]
    assert sorted(looked_up) == ["cy@example.com", "di@example.com"]


async def test_submit_attaches_to_the_picked_incident_whatever_rootly_lists_by_then(
    app: SlackApp,
) -> None:
    payments = app.rootly.add_service("Payments API", cortex_id="payments-api")
    incident = app.rootly.add_incident("Checkout down")  # active, in another channel
    view = await opened_modal(app)
    app.rootly.incidents[incident]["status"] = "resolved"  # no longer in the active list
    await app.services.cache.invalidate((TEAM,))  # and the list the modal showed has expired

    await submit(app, view, ["payments-api"], incident, [ids.ATTACH_TO_INCIDENT])
    result = await app.slack.next_call("chat.postEphemeral")

    assert app.rootly.incident_services[incident] == [payments]
    assert "attached payments-api" in result.args["text"]


async def test_a_submit_before_the_choices_show_does_what_its_button_said(app: SlackApp) -> None:
    incident = app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL)
    app.rootly.add_service("Payments API", cortex_id="payments-api")
    await app.command("incident")
    loading = (await app.slack.next_call("views.open")).args["view"]
    view = await opened_modal(app)

    await submit(app, view, ["payments-api"], None, None)
    await app.slack.next_call("chat.postEphemeral")

    assert loading["submit"]["text"] == "Post"
    assert app.rootly.incident_services[incident] == []
    assert len(app.slack.calls_to("chat.postMessage")) == 1


async def test_the_global_shortcut_has_no_channel_to_post_in(app: SlackApp) -> None:
    app.rootly.add_incident("Checkout down")

    await app.shortcut(ids.INCIDENT_SHORTCUT)
    updated = (await app.slack.next_call("views.update")).args["view"]

    offered = block(updated, ids.INCIDENT_ACTIONS_BLOCK)["element"]["options"]
    assert ids.POST_INCIDENT_SUMMARY not in [option["value"] for option in offered]
    assert ticked(updated) == [ids.ATTACH_TO_INCIDENT]
    assert updated["submit"]["text"] == "Attach"


async def test_the_posted_context_mentions_owners_as_the_card_does(app: SlackApp) -> None:
    app.slack.add_user("U0LEA", TEAM, name="Lea Owner", email="lea@example.com")
    view = await opened_modal(app)

    await submit(app, view, ["ledger", "payments-api"], None, [ids.POST_INCIDENT_SUMMARY])
    await app.slack.next_call("chat.postEphemeral")

    posted = str(app.slack.calls_to("chat.postMessage")[0].args["blocks"])
    assert "Owners: <@U0LEA>" in posted
    assert "Owners: Team-Pay" in posted


async def test_a_service_not_in_rootly_is_pointed_to_sync(app: SlackApp) -> None:
    incident = app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL)
    view = await opened_modal(app)

    await submit(app, view, ["ledger"], incident, [ids.ATTACH_TO_INCIDENT])
    result = await app.slack.next_call("chat.postEphemeral")

    assert "not in Rootly yet: ledger" in result.args["text"]
    assert "/cortex sync" in result.args["text"]
    assert app.rootly.incident_services[incident] == []


async def test_attaching_needs_an_incident(app: SlackApp) -> None:
    view = await opened_modal(app)

    answer = await submit(app, view, ["ledger"], None, [ids.ATTACH_TO_INCIDENT])

    assert ids.INCIDENT_BLOCK in answer["errors"]


async def test_a_failed_part_is_reported_and_the_rest_done(app: SlackApp) -> None:
    incident = app.rootly.add_incident("Checkout down", slack_channel_id=CHANNEL)
    app.rootly.add_service("Ledger", cortex_id="ledger")
    view = await opened_modal(app)
    app.cortex.faults.append(Fault(status=500, method="POST"))

    await submit(
        app, view, ["ledger"], incident, [ids.ATTACH_TO_INCIDENT, ids.RECORD_INCIDENT_EVENTS]
    )
    result = await app.slack.next_call("chat.postEphemeral")

    assert "attached ledger" in result.args["text"]
    assert ":x: event on ledger" in result.args["text"]


async def test_without_rootly_the_picker_is_hidden_and_the_rest_works(
    slack_app: SlackApp,
) -> None:
    await connect(slack_app, rootly=False)
    slack_app.cortex.add_service("ledger", "Ledger")
    view = await opened_modal(slack_app)

    await submit(slack_app, view, ["ledger"], None, [ids.RECORD_INCIDENT_EVENTS])
    await slack_app.slack.next_call("chat.postEphemeral")

    assert ids.INCIDENT_BLOCK not in str(view["blocks"])
    assert ids.ATTACH_TO_INCIDENT not in str(view["blocks"])
    assert len(slack_app.cortex.requests_to("/api/v1/catalog/ledger/custom-events", "POST")) == 1
    assert slack_app.rootly.received == []
