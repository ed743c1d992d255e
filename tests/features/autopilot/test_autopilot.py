"""The incident autopilot end to end: `/cortex incidents …` signed like Slack's, deliveries signed
like Rootly's, against the real app; the fake Slack, Cortex and Rootly around it."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from prometheus_client import REGISTRY

from bot.autopilot.signature import TOLERANCE_SECONDS
from bot.autopilot.store import AutopilotStore, NewWebhook
from bot.crypto import Keyring, new_key
from bot.http import RetryPolicy
from bot.workspaces import NewKeys
from tests.support.autopilot_world import INCIDENT_CHANNEL, World, seed
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault
from tests.support.fakes.rootly import ROOTLY_KEY, FakeRootly, sign_delivery
from tests.support.fakes.rootly import Fault as RootlyFault
from tests.support.fakes.slack import Call, FakeSlack
from tests.support.slack_harness import (
    ADMIN,
    BOT_TOKEN,
    MEMBER,
    TEAM,
    AppStarter,
    ClientFactory,
    SlackApp,
    start_app,
)

PUBLIC_URL = "https://bot.example.com"
FALLBACK = "C0FALLBACK"
BEGAN = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
CREATED = "incident.created"
UPDATED = "incident.updated"


@dataclass(frozen=True)
class Webhook:
    path: str
    secret: str


# No test here makes an API hang: time enough for every answer on a busy machine, so that a slow
# read is not taken for a failure (a message missing a part is completed by the next delivery).
PATIENT = RetryPolicy(attempts=2, request_timeout=5.0, deadline=10.0, backoff_base=0.01)


@pytest.fixture
async def app(app_with: AppStarter) -> SlackApp:
    """A workspace connected to Cortex and Rootly, on a bot with a public address."""
    started = await app_with(PATIENT, public_url=PUBLIC_URL)
    await started.services.workspaces.save(
        TEAM, NewKeys(started.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )
    return started


@pytest.fixture
def world(app: SlackApp) -> World:
    return seed(app.cortex, app.rootly, BEGAN)


async def ephemeral_answer(app: SlackApp, text: str, user: str = ADMIN) -> dict[str, Any]:
    answered = len(app.slack.responses)
    response = await app.command(text, user=user)
    assert response.status == 200
    return await app.slack.next_response(answered + 1)


async def turn_on(app: SlackApp, arguments: str = f"<#{FALLBACK}|incidents>") -> Webhook:
    answer = await ephemeral_answer(app, f"incidents auto on {arguments}")
    assert answer["response_type"] == "ephemeral"
    endpoint = app.rootly.endpoint_for(PUBLIC_URL)
    return Webhook(endpoint["url"].removeprefix(PUBLIC_URL), endpoint["secret"])


async def deliver(
    app: SlackApp,
    hook: Webhook,
    incident_id: str,
    event_type: str = CREATED,
    *,
    event_id: str | None = None,
) -> ClientResponse:
    body = app.rootly.delivery_body(event_type, incident_id, event_id=event_id)
    return await app.http.post(hook.path, data=body, headers=sign_delivery(hook.secret, body))


async def posted(app: SlackApp, world: World) -> Webhook:
    """The autopilot on, and the incident's first message posted."""
    hook = await turn_on(app)
    await deliver(app, hook, world.incident_id)
    await app.slack.next_call("chat.postMessage")
    await settled(app)
    return hook


async def settled(app: SlackApp) -> None:
    """Every delivery's background work has ended."""
    await app.services.tasks.join()


def text_of(call: Call) -> str:
    return f"{call.args.get('text')} {json.dumps(call.args.get('blocks'))}"


def assert_one_message(slack: FakeSlack) -> None:
    """One message was posted, and anything else only updated it (a message missing a part,
    as when Cortex is slow on a busy machine, is completed by the next delivery)."""
    [posted] = slack.calls_to("chat.postMessage")
    [(channel, ts)] = list(slack.messages)
    assert posted.args["channel"] == channel
    assert {(c.args["channel"], c.args["ts"]) for c in slack.calls_to("chat.update")} <= {
        (channel, ts)
    }


def assert_each_suspect_once_on_the_timeline(rootly: FakeRootly, incident_id: str) -> None:
    lines = [
        line
        for event in rootly.incident_events[incident_id]
        for line in event["event"].splitlines()
        if line.startswith("- ")
    ]
    assert lines
    assert len(lines) == len(set(lines))


def budget_sent(lane: str) -> float:
    found = REGISTRY.get_sample_value(
        "cortex_bot_budget_requests_total", {"lane": lane, "outcome": "sent"}
    )
    return found or 0.0


def markdown_of(blocks: Any) -> list[str]:
    """Every mrkdwn text in the blocks: what Slack parses for mentions and links."""
    if isinstance(blocks, dict):
        own = [blocks["text"]] if blocks.get("type") == "mrkdwn" else []
        return own + [text for value in blocks.values() for text in markdown_of(value)]
    if isinstance(blocks, list):
        return [text for item in blocks for text in markdown_of(item)]
    return []


def posts(app: SlackApp) -> list[Call]:
    return app.slack.calls_to("chat.postMessage")


def deliveries(outcome: str) -> float:
    found = REGISTRY.get_sample_value("cortex_bot_autopilot_deliveries_total", {"outcome": outcome})
    return found or 0.0


# --- turning it on and off ---------------------------------------------------------------------


async def test_auto_on_registers_the_webhook_with_its_events_and_a_url_of_its_own(
    app: SlackApp,
) -> None:
    answer = await ephemeral_answer(app, f"incidents auto on <#{FALLBACK}|incidents> window=2h")

    [endpoint] = app.rootly.webhook_endpoints.values()
    assert endpoint["event_types"] == ["incident.created", "incident.updated", "incident.in_triage"]
    assert endpoint["url"].startswith(f"{PUBLIC_URL}/rootly/webhooks/")
    token = endpoint["url"].rsplit("/", 1)[1]
    assert len(token) >= 32
    assert TEAM not in token
    assert len(endpoint["secret"]) >= 32
    assert endpoint["secret"] not in json.dumps(answer)
    assert f"<#{FALLBACK}>" in answer["text"] + json.dumps(answer["blocks"])
    database = app.database_file.read_bytes()
    assert endpoint["secret"].encode() not in database
    assert token.encode() not in database
    status = await app.services.autopilot.status(TEAM)
    assert status is not None
    assert (status.channel_id, status.window, status.enabled_by) == (
        FALLBACK,
        timedelta(hours=2),
        ADMIN,
    )


async def test_auto_on_without_a_channel_uses_the_one_it_is_typed_in(app: SlackApp) -> None:
    await ephemeral_answer(app, "incidents auto on")

    status = await app.services.autopilot.status(TEAM)
    assert status is not None
    assert (status.channel_id, status.window) == ("C0GENERAL", timedelta(hours=24))


async def test_auto_on_again_changes_the_channel_and_window_and_keeps_the_webhook(
    app: SlackApp,
) -> None:
    hook = await turn_on(app)

    answer = await ephemeral_answer(app, "incidents auto on <#C0OTHER|other> window=90m")

    assert "Still on" in json.dumps(answer["blocks"])
    assert len(app.rootly.webhook_endpoints) == 1
    assert app.rootly.endpoint_for(PUBLIC_URL)["secret"] == hook.secret
    status = await app.services.autopilot.status(TEAM)
    assert status is not None
    assert (status.channel_id, status.window) == ("C0OTHER", timedelta(minutes=90))


async def test_rootly_refusing_shows_the_url_and_secret_once_and_they_work(
    app: SlackApp, world: World
) -> None:
    app.rootly.refuse_webhooks = 403

    answer = await ephemeral_answer(app, f"incidents auto on <#{FALLBACK}|incidents>")
    status_answer = await ephemeral_answer(app, "incidents status", user=MEMBER)

    shown = json.dumps(answer["blocks"])
    url = shown.split(f"{PUBLIC_URL}/rootly/webhooks/")[1].split("`")[0]
    secret = shown.split("Secret: `")[1].split("`")[0]
    assert answer["response_type"] == "ephemeral"
    assert "incident.in_triage" in shown
    assert secret not in json.dumps(status_answer)
    assert "entered in Rootly by hand" in json.dumps(status_answer)
    response = await deliver(app, Webhook(f"/rootly/webhooks/{url}", secret), world.incident_id)
    assert response.status == 200
    await app.slack.next_call("chat.postMessage")


async def test_auto_on_without_a_public_url_says_so(app_with: AppStarter) -> None:
    app = await app_with()  # no PUBLIC_URL
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )

    answer = await ephemeral_answer(app, "incidents auto on")

    assert "PUBLIC_URL" in answer["text"]
    assert app.rootly.received == []


async def test_auto_on_without_rootly_says_so(app_with: AppStarter) -> None:
    app = await app_with(public_url=PUBLIC_URL)
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )

    answer = await ephemeral_answer(app, "incidents auto on")

    assert "no Rootly API key" in answer["text"]
    assert await app.services.autopilot.status(TEAM) is None


async def test_only_admins_turn_it_on(app: SlackApp) -> None:
    answer = await ephemeral_answer(app, "incidents auto on", user=MEMBER)

    assert "Only workspace admins" in answer["text"]
    assert app.rootly.webhook_endpoints == {}


async def test_off_deletes_the_webhook_and_later_deliveries_are_refused(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)

    answer = await ephemeral_answer(app, "incidents auto off")
    response = await deliver(app, hook, world.incident_id)

    assert "off" in answer["text"]
    assert app.rootly.webhook_endpoints == {}
    assert response.status == 401
    assert await app.services.autopilot.status(TEAM) is None


async def test_off_when_rootly_cannot_delete_the_webhook_says_where_to_delete_it(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.rootly.faults += [RootlyFault(status=503, path_contains="/v1/webhooks/endpoints/")] * 3

    answer = await ephemeral_answer(app, "incidents auto off")

    assert "could not be deleted in Rootly" in json.dumps(answer["blocks"])
    assert "Cortex Slack bot" in json.dumps(answer["blocks"])
    assert (await deliver(app, hook, world.incident_id)).status == 401


@pytest.mark.parametrize(
    "event",
    [{"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}],
    ids=["app_uninstalled", "tokens_revoked"],
)
async def test_uninstalling_deletes_the_webhook_and_its_secret(
    app: SlackApp, world: World, event: dict[str, Any]
) -> None:
    hook = await turn_on(app)

    response = await app.event(event)
    await settled(app)

    assert response.status == 200
    assert app.rootly.webhook_endpoints == {}
    assert await app.services.autopilot.status(TEAM) is None
    assert (await deliver(app, hook, world.incident_id)).status == 401


async def test_disconnecting_turns_it_off(app: SlackApp) -> None:
    await turn_on(app)

    await app.click("disconnect_confirm")
    await settled(app)

    assert app.rootly.webhook_endpoints == {}
    assert await app.services.autopilot.status(TEAM) is None
    assert await app.services.workspaces.get(TEAM) is None


# --- what a delivery posts ---------------------------------------------------------------------


async def test_a_new_incident_gets_one_message_with_its_services_and_what_changed(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    posted_before = deliveries("posted")

    response = await deliver(app, hook, world.incident_id)
    message = await app.slack.next_call("chat.postMessage")
    await settled(app)

    assert response.status == 200
    assert message.args["channel"] == INCIDENT_CHANNEL
    text = text_of(message)
    for expected in (
        "Payments failing",
        "Payments API",
        "Checkout",
        "Team-Pay",
        f"<@{ADMIN}>",  # the owner ana@example.com, a member of the workspace
        "Cy Oncall",
        "Readiness: Gold",
        ":rewind: *Rollback*",
        "Di Dba",
        "`payments-api` depends on it",
    ):
        assert expected in text, expected
    order = [text.index(title) for title in ("Flag new-cart", "schema migration", "release 42")]
    assert order == sorted(order)  # newest first
    assert text.index("release 42") < text.index("release 40")
    for absent in ("release 39", "search 7", "Hand made"):
        assert absent not in text
    assert "show_service" in text
    assert len(posts(app)) == 1
    assert deliveries("posted") == posted_before + 1
    [timeline] = app.rootly.incident_events[world.incident_id]
    assert "release 42" in timeline["event"]
    assert "https://test.slack.com/archives/C0INCIDENT/p" in timeline["event"]
    assert timeline["visibility"] == "internal"


async def test_the_message_mentions_the_owners_and_on_call_people_slack_knows_by_email(
    app: SlackApp, world: World
) -> None:
    app.slack.add_user("U0CY", TEAM, name="Cy Oncall", email="Cy@Example.com")
    schedule = app.cortex.oncall["payments-api"][0]["escalations"][0]["schedules"][0]
    schedule["user"]["email"] = "cy@example.com"
    hook = await turn_on(app)

    await deliver(app, hook, world.incident_id)
    message = await app.slack.next_call("chat.postMessage")
    await settled(app)

    text = text_of(message)
    assert "<@U0CY>" in text
    assert f"<@{ADMIN}>" in text  # the owner ana@example.com
    assert "Cy Oncall" not in text
    looked_up = {call.args["email"] for call in app.slack.calls_to("users.lookupByEmail")}
    assert {"cy@example.com", "ana@example.com"} <= looked_up


async def test_cortex_reads_are_a_snapshot_per_service_then_the_dependencies_all_interactive(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    sent_before = {lane: budget_sent(lane) for lane in ("interactive", "background")}

    await deliver(app, hook, world.incident_id)
    await app.slack.next_call("chat.postMessage")

    # People are waiting in the incident channel: every read goes before background work.
    sent = budget_sent("interactive") - sent_before["interactive"]
    assert sent == len(app.cortex.received)
    assert budget_sent("background") == sent_before["background"]

    paths = {request.path for request in app.cortex.received}
    assert {path for path in paths if "/ledger-db" in path} == {
        "/api/v1/catalog/ledger-db/custom-events",
        "/api/v1/catalog/ledger-db/deploys",
    }
    assert len({path for path in paths if "/payments-api" in path}) == 6


async def test_the_same_delivery_twice_posts_once(app: SlackApp, world: World) -> None:
    hook = await turn_on(app)
    duplicates_before = deliveries("duplicate")

    first = await deliver(app, hook, world.incident_id, event_id="ev-1")
    second = await deliver(app, hook, world.incident_id, event_id="ev-1")
    await app.slack.next_call("chat.postMessage")
    await settled(app)

    assert (first.status, second.status) == (200, 200)
    assert len(posts(app)) == 1
    assert deliveries("duplicate") == duplicates_before + 1


async def test_deliveries_to_two_processes_sharing_the_database_post_once(
    aiohttp_client: ClientFactory,
    fake_slack: FakeSlack,
    fake_cortex: FakeCortex,
    fake_rootly: FakeRootly,
    tmp_path: Path,
    database_url: str,
) -> None:
    """Rootly's retry reaching another process, and two events of one incident reaching two."""
    keyring = Keyring.from_encoded([new_key()])
    one, other = [
        await start_app(
            aiohttp_client,
            fake_slack,
            fake_cortex,
            fake_rootly,
            tmp_path,
            database_url=database_url,
            retries=PATIENT,
            keyring=keyring,
            slack_bot_token=BOT_TOKEN,
            public_url=PUBLIC_URL,
        )
        for _ in range(2)
    ]
    await one.services.workspaces.save(
        TEAM, NewKeys(fake_cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )
    world = seed(fake_cortex, fake_rootly, BEGAN)
    hook = await turn_on(one)
    fake_cortex.latency = 0.05
    retried = fake_rootly.delivery_body(CREATED, world.incident_id, event_id="ev-retried")
    triage = fake_rootly.delivery_body("incident.in_triage", world.incident_id)

    answers = await asyncio.gather(
        one.http.post(hook.path, data=retried, headers=sign_delivery(hook.secret, retried)),
        other.http.post(hook.path, data=retried, headers=sign_delivery(hook.secret, retried)),
        other.http.post(hook.path, data=triage, headers=sign_delivery(hook.secret, triage)),
    )
    await asyncio.gather(settled(one), settled(other))

    assert [answer.status for answer in answers] == [200, 200, 200]
    assert_one_message(fake_slack)
    assert_each_suspect_once_on_the_timeline(fake_rootly, world.incident_id)


async def test_two_events_about_one_incident_at_once_make_one_message(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.cortex.latency = 0.05

    await asyncio.gather(
        deliver(app, hook, world.incident_id, CREATED),
        deliver(app, hook, world.incident_id, "incident.in_triage"),
    )
    await settled(app)

    assert_one_message(app.slack)
    assert_each_suspect_once_on_the_timeline(app.rootly, world.incident_id)


async def test_new_services_update_the_same_message_and_add_their_suspects(
    app: SlackApp, world: World
) -> None:
    hook = await posted(app, world)
    updated_before = deliveries("updated")

    app.rootly.incident_services[world.incident_id].append(world.search)
    await deliver(app, hook, world.incident_id, UPDATED)
    update = await app.slack.next_call("chat.update")
    await settled(app)

    ts = app.slack.messages_of(INCIDENT_CHANNEL)
    assert len(posts(app)) == 1
    assert (update.args["channel"], update.args["ts"]) == (INCIDENT_CHANNEL, ts[0])
    assert "Search" in text_of(update)
    assert "search 7" in text_of(update)
    assert deliveries("updated") == updated_before + 1
    timeline = [event["event"] for event in app.rootly.incident_events[world.incident_id]]
    assert len(timeline) == 2
    assert "search 7" in timeline[1]
    assert "release 42" not in timeline[1]


async def test_an_update_without_new_services_changes_nothing(app: SlackApp, world: World) -> None:
    hook = await posted(app, world)

    await deliver(app, hook, world.incident_id, UPDATED)
    await settled(app)

    assert app.slack.calls_to("chat.update") == []
    assert len(app.rootly.incident_events[world.incident_id]) == 1


async def test_a_service_removed_is_dropped_from_the_message(app: SlackApp, world: World) -> None:
    hook = await posted(app, world)

    app.rootly.incident_services[world.incident_id].remove(world.checkout)
    await deliver(app, hook, world.incident_id, UPDATED)
    update = await app.slack.next_call("chat.update")

    assert "Payments API" in text_of(update)
    assert "Checkout" not in text_of(update)
    assert "Flag new-cart on" not in text_of(update)


async def test_an_incident_without_mapped_services_posts_nothing(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.rootly.incident_services[world.incident_id] = [world.unmapped]

    response = await deliver(app, hook, world.incident_id)
    await settled(app)
    status = await ephemeral_answer(app, "incidents status", user=MEMBER)

    assert response.status == 200
    assert posts(app) == []
    assert app.cortex.received == []
    assert "no service maps to Cortex" in json.dumps(status["blocks"])


async def test_a_resolved_incident_is_not_posted(app: SlackApp, world: World) -> None:
    hook = await turn_on(app)
    app.rootly.incidents[world.incident_id]["status"] = "resolved"

    await deliver(app, hook, world.incident_id, UPDATED)
    await settled(app)

    assert posts(app) == []


@pytest.mark.parametrize("refusal", ["channel_not_found", "not_in_channel", "is_archived"])
async def test_a_channel_the_bot_may_not_post_in_falls_back_to_the_chosen_one(
    app: SlackApp, world: World, refusal: str
) -> None:
    hook = await turn_on(app)
    app.slack.closed_channels[INCIDENT_CHANNEL] = refusal

    await deliver(app, hook, world.incident_id)
    await settled(app)

    assert [call.args["channel"] for call in posts(app)] == [INCIDENT_CHANNEL, FALLBACK]
    assert app.slack.messages_of(FALLBACK)


async def test_when_no_channel_takes_the_post_the_status_says_why_in_words(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.slack.closed_channels[INCIDENT_CHANNEL] = "channel_not_found"
    app.slack.closed_channels[FALLBACK] = "not_in_channel"

    await deliver(app, hook, world.incident_id)
    await settled(app)
    status = json.dumps((await ephemeral_answer(app, "incidents status", user=MEMBER))["blocks"])

    assert "not posted: I am not a member of the channel: invite me to it" in status
    assert "not_in_channel" not in status  # Slack's code is for the log


async def test_an_incident_without_a_channel_is_posted_in_the_chosen_one(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.rootly.incidents[world.incident_id]["slack_channel_id"] = None

    await deliver(app, hook, world.incident_id)
    await settled(app)

    assert [call.args["channel"] for call in posts(app)] == [FALLBACK]


async def test_titles_that_mention_everyone_ping_nobody(app: SlackApp, world: World) -> None:
    hook = await turn_on(app)
    app.rootly.incidents[world.incident_id]["title"] = "Payments <!channel> & <!here|here> down"
    app.cortex.add_deploy(
        "payments-api", "hotfix <!everyone> <@U0PINGED>", BEGAN - timedelta(minutes=1)
    )

    await deliver(app, hook, world.incident_id)
    message = await app.slack.next_call("chat.postMessage")

    parsed = " ".join([message.args["text"], *markdown_of(message.args["blocks"])])
    for mention in ("<!channel>", "<!here", "<!everyone>", "<@U0PINGED>"):
        assert mention not in parsed
    assert "&lt;!channel&gt;" in message.args["text"]
    assert "&amp;" in message.args["text"]
    header = message.args["blocks"][0]["text"]
    assert header["type"] == "plain_text"  # shown as typed: Slack parses no mention in it


async def test_the_card_button_opens_the_card_beside_the_shared_message(
    app: SlackApp, world: World
) -> None:
    await posted(app, world)
    answered = len(app.slack.responses)

    await app.interact(
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": MEMBER, "team_id": TEAM},
            "api_app_id": "A0CORTEX",
            "trigger_id": "trigger-card",
            "channel": {"id": INCIDENT_CHANNEL},
            "container": {"type": "message", "channel_id": INCIDENT_CHANNEL, "is_ephemeral": False},
            "response_url": app.slack.response_url(),
            "actions": [{"action_id": "show_service", "value": "payments-api", "type": "button"}],
        }
    )
    card = await app.slack.next_response(answered + 1)

    assert card["response_type"] == "ephemeral"
    assert card["replace_original"] is False
    assert "Payments API" in json.dumps(card["blocks"])


# --- failures ----------------------------------------------------------------------------------


async def test_cortex_failing_posts_what_is_known_and_names_what_is_missing(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    app.cortex.faults += [Fault(status=503, path_contains="/checkout/")] * 20

    await deliver(app, hook, world.incident_id)
    message = await app.slack.next_call("chat.postMessage")

    text = text_of(message)
    assert "Payments API" in text
    assert "Not available right now" in text
    assert "checkout" in text
    assert "Traceback" not in text


async def test_rootly_failing_posts_from_the_delivery_and_says_so(
    app: SlackApp, world: World
) -> None:
    hook = await turn_on(app)
    incident_path = f"/v1/incidents/{world.incident_id}"
    app.rootly.faults += [RootlyFault(status=503, path_contains=incident_path)] * 2

    await deliver(app, hook, world.incident_id)
    message = await app.slack.next_call("chat.postMessage")

    assert "Payments API" in text_of(message)
    assert "as the webhook described it" in text_of(message)


async def test_a_workspace_whose_cortex_is_gone_gets_nothing_posted_and_a_log_line(
    app: SlackApp, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    hook = await turn_on(app)
    await app.services.workspaces.forget(TEAM)

    response = await deliver(app, hook, world.incident_id)
    await settled(app)

    assert response.status == 200
    assert posts(app) == []
    assert f"for {TEAM}: Cortex is not connected" in caplog.text


# --- what is refused -------------------------------------------------------------------------


# Far enough past the tolerance that a second lost to rounding, or to a slow machine between
# signing and checking, cannot bring a timestamp back within it (301 s did, for a future one).
BEYOND = TOLERANCE_SECONDS + 30


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ("wrong signature", 401),
        ("stale timestamp", 401),
        ("future timestamp", 401),
        ("no signature", 401),
        ("unknown token", 401),
        ("body over 1 MB", 413),
    ],
)
async def test_what_is_not_a_fresh_signed_delivery_changes_nothing_and_is_not_logged(
    app: SlackApp, world: World, caplog: pytest.LogCaptureFixture, change: str, status: int
) -> None:
    caplog.set_level(logging.DEBUG)
    hook = await turn_on(app)
    rootly_calls = len(app.rootly.received)
    body = app.rootly.delivery_body(CREATED, world.incident_id)
    headers = sign_delivery(hook.secret, body)
    path = hook.path
    if change == "wrong signature":
        headers = sign_delivery("not-the-secret", body)
    elif change == "stale timestamp":
        headers = sign_delivery(hook.secret, body, int(datetime.now(UTC).timestamp()) - BEYOND)
    elif change == "future timestamp":
        headers = sign_delivery(hook.secret, body, int(datetime.now(UTC).timestamp()) + BEYOND)
    elif change == "no signature":
        del headers["X-Rootly-Signature"]
    elif change == "unknown token":
        path = "/rootly/webhooks/not-a-token-anyone-has-0123456789abcdef"
    else:
        body = body[:-1] + b" " * (1024 * 1024) + b"}"
        headers = sign_delivery(hook.secret, body)

    response = await app.http.post(path, data=body, headers=headers)
    await settled(app)

    assert response.status == status
    assert posts(app) == []
    assert len(app.rootly.received) == rootly_calls
    settings = await app.services.autopilot.status(TEAM)
    assert settings is not None
    assert settings.last_delivery is None
    # Our own lines: the access log's line has the path, which the redaction filter scrubs.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    for private in (world.incident_id, "Payments failing", hook.path.rsplit("/", 1)[1]):
        assert private not in ours


async def test_a_secret_no_configured_key_opens_refuses_deliveries_and_says_why_in_the_log(
    app: SlackApp, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    hook = await turn_on(app)
    # The database now holds a secret sealed with a key the process no longer has.
    other_key = AutopilotStore(app.services.engine, Keyring.from_encoded([new_key()]))
    await other_key.save(
        TEAM,
        NewWebhook(hook.path.rsplit("/", 1)[1], hook.secret, None),
        channel_id=FALLBACK,
        window=timedelta(hours=24),
        enabled_by=ADMIN,
        now=datetime.now(UTC),
    )

    response = await deliver(app, hook, world.incident_id)

    assert response.status == 401
    assert posts(app) == []
    assert "ENCRYPTION_KEYS" in caplog.text


async def test_a_signed_body_that_is_not_a_delivery_is_refused(app: SlackApp) -> None:
    hook = await turn_on(app)
    body = b'{"hello": "world"}'

    response = await app.http.post(hook.path, data=body, headers=sign_delivery(hook.secret, body))

    assert response.status == 400
    assert posts(app) == []


# --- status and App Home -----------------------------------------------------------------------


async def test_status_and_app_home_show_the_settings_and_the_last_delivery(
    app: SlackApp, world: World
) -> None:
    await posted(app, world)

    status = await ephemeral_answer(app, "incidents status", user=MEMBER)
    # App Home shows the autopilot to admins.
    await app.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    home = await app.slack.next_call("views.publish")

    for shown in (json.dumps(status["blocks"]), json.dumps(home.args["view"])):
        assert "*Incident autopilot*: on since" in shown
        assert f"<#{FALLBACK}>" in shown
        assert "24 h" in shown
        assert f"posted in <#{INCIDENT_CHANNEL}>" in shown
        assert "Payments failing" in shown


async def test_status_when_off_says_how_to_turn_it_on(app: SlackApp) -> None:
    status = await ephemeral_answer(app, "incidents status", user=MEMBER)

    assert "`/cortex incidents auto on`" in json.dumps(status["blocks"])
