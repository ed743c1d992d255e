"""Recording deploys and custom events from Slack: commands, modals, shortcuts, and retries."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cortex.models import CustomEvent, Deploy, DeployType
from bot.workspaces import NewKeys
from handlers.common import ids
from handlers.common.kit import Message
from handlers.recording.blocks import deploy_recorded, event_recorded
from tests.support.fakes.cortex import CORTEX_KEY, Fault
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, SlackApp


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    slack_app.cortex.add_service("payments-api", "Payments API")
    slack_app.cortex.add_service("search", "Search")
    return slack_app


def posted_deploys(app: SlackApp) -> list[Any]:
    return [r.body for r in app.cortex.requests_to("/api/v1/catalog/payments-api/deploys", "POST")]


def posted_events(app: SlackApp, tag: str = "payments-api") -> list[Any]:
    return [r.body for r in app.cortex.requests_to(f"/api/v1/catalog/{tag}/custom-events", "POST")]


def modal_values(view: dict[str, Any], **inputs: Any) -> dict[str, dict[str, Any]]:
    """Slack's state of a submitted modal: text inputs, the service pick, the type select."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        action = element["action_id"]
        given = inputs.get(action)
        if element["type"] in ("external_select", "static_select"):
            chosen = given or (element.get("initial_option") or {}).get("value")
            value = {
                "type": element["type"],
                "selected_option": {"value": chosen} if chosen else None,
            }
        elif element["type"] == "datetimepicker":
            value = {"type": "datetimepicker", "selected_date_time": element["initial_date_time"]}
        else:
            text = given if given is not None else element.get("initial_value")
            value = {"type": "plain_text_input", "value": text}
        state[block["block_id"]] = {action: value}
    return state


async def opened_deploy_form(app: SlackApp) -> dict[str, Any]:
    """The deploy form `deploy payments-api` opens, as Slack holds it."""
    await app.command("deploy payments-api")
    await app.slack.next_call("views.open")
    view: dict[str, Any] = next(iter(app.slack.views.values()))
    return view


async def submit_modal(app: SlackApp, view: dict[str, Any], **inputs: Any) -> Any:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "t0alpha"},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": modal_values(view, **inputs)}, "team_id": TEAM},
    }
    response = await app.interact(payload)
    assert response.status == 200
    text = await response.text()
    return json.loads(text) if text else None


# --- recording at once -------------------------------------------------------------------------


async def test_a_complete_deploy_is_recorded_at_once_with_the_user_as_deployer(
    app: SlackApp,
) -> None:
    await app.command(
        'deploy payments-api "Release 4.2" env=prod sha=1a2b3c4d type=rollback', user=MEMBER
    )
    announced = await app.slack.next_call("chat.postMessage")

    [body] = posted_deploys(app)
    assert body["title"] == "Release 4.2"
    assert body["type"] == "ROLLBACK"
    assert body["environment"] == "prod"
    assert body["sha"] == "1a2b3c4d"
    assert body["deployer"] == {"name": "Max Member", "email": "max@example.com"}
    assert announced.args["channel"] == CHANNEL
    assert "Release 4.2" in announced.args["text"]
    assert f"<@{MEMBER}>" in announced.args["text"]


@pytest.mark.parametrize("sha", ["abc123", "build-4711", "sha256:" + "0f" * 32])
async def test_any_sha_cortex_takes_is_recorded(app: SlackApp, sha: str) -> None:
    await app.command(f"deploy payments-api v1 sha={sha}")
    await app.slack.next_call("chat.postMessage")

    [body] = posted_deploys(app)
    assert body["sha"] == sha


async def test_the_deploy_modal_records_a_build_number_as_the_sha(app: SlackApp) -> None:
    view = await opened_deploy_form(app)

    answer = await submit_modal(app, view, title_input="v2", sha_input="build-4711")
    await app.slack.next_call("chat.postMessage")

    assert answer is None
    [body] = posted_deploys(app)
    assert body["sha"] == "build-4711"


async def test_a_slack_retry_of_the_same_command_records_once(app: SlackApp) -> None:
    await app.command("deploy payments-api v1")
    await app.slack.next_call("chat.postMessage")

    await app.command(
        "deploy payments-api v1",
        trigger_id=app.trigger_ids[0],
        **{
            "X-Slack-Retry-Num": "1",
            "X-Slack-Retry-Reason": "http_timeout",
        },
    )
    await app.command("deploy payments-api v1", trigger_id=app.trigger_ids[0])
    await app.services.tasks.join()  # each retry was acked; its work has ended

    assert len(posted_deploys(app)) == 1
    assert len(app.slack.calls_to("chat.postMessage")) == 1


async def test_a_slack_retry_of_the_same_event_records_once(app: SlackApp) -> None:
    text = 'event payments-api "Flag on" type=FEATURE_FLAG'
    await app.command(text)
    await app.slack.next_call("chat.postMessage")

    await app.command(
        text,
        trigger_id=app.trigger_ids[0],
        **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    await app.command(text, trigger_id=app.trigger_ids[0], **{"X-Slack-Retry-Num": "2"})
    await app.services.tasks.join()  # each retry was acked; its work has ended

    assert len(posted_events(app)) == 1
    assert len(app.slack.calls_to("chat.postMessage")) == 1


async def test_the_same_deploy_typed_again_is_recorded_again(app: SlackApp) -> None:
    await app.command("deploy payments-api v1")
    await app.command("deploy payments-api v1")
    await app.slack.next_call("chat.postMessage", 2)

    assert len(posted_deploys(app)) == 2


async def test_an_event_with_type_and_title_is_recorded_at_once(app: SlackApp) -> None:
    await app.command(
        'event payments-api "Flag flipped" type=FEATURE_FLAG url=<https://ff.example/1>'
    )
    await app.slack.next_call("chat.postMessage")

    [body] = posted_events(app)
    assert body["type"] == "FEATURE_FLAG"
    assert body["title"] == "Flag flipped"
    assert body["url"] == "https://ff.example/1"


async def test_a_tag_typed_in_other_case_is_resolved_through_the_catalog(app: SlackApp) -> None:
    await app.command("deploy Payments-API v1")
    announced = await app.slack.next_call("chat.postMessage")

    [body] = posted_deploys(app)
    assert body["title"] == "v1"
    assert "*Payments API*" in announced.args["text"]
    assert [b["elements"][0]["value"] for b in announced.args["blocks"][1:]] == ["payments-api"]


def asked(app: SlackApp) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in app.cortex.received]


LISTING = ("GET", "/api/v1/catalog")
DEPLOY_WRITE = ("POST", "/api/v1/catalog/payments-api/deploys")


async def test_a_recording_asks_cortex_only_for_the_catalog_and_the_write(app: SlackApp) -> None:
    """The news names the service as the catalog lists it: no request for its entity."""
    await app.command("deploy payments-api v1 env=prod")
    announced = await app.slack.next_call("chat.postMessage")

    assert asked(app) == [LISTING, DEPLOY_WRITE]
    assert "*Payments API*" in announced.args["text"]


async def test_a_form_asks_cortex_only_for_the_catalog_and_the_write(app: SlackApp) -> None:
    """The prefilled service shows by the name the catalog lists, which the submission's check
    reads too; the news names it so as well."""
    await app.command("deploy payments-api")
    await app.slack.next_call("views.update")
    view = next(iter(app.slack.views.values()))

    await submit_modal(app, view, title_input="v2")
    announced = await app.slack.next_call("chat.postMessage")

    assert asked(app) == [LISTING, DEPLOY_WRITE]
    assert "*Payments API*" in announced.args["text"]


async def test_an_unknown_service_gets_suggestions_and_nothing_is_recorded(app: SlackApp) -> None:
    await app.command("deploy paymnts-api v1")
    answer = await app.slack.next_response()

    assert "No service matches" in answer["text"]
    assert "payments-api" in str(answer["blocks"])
    assert app.slack.calls_to("chat.postMessage") == []


async def test_a_private_channel_without_the_bot_still_confirms_to_the_user(app: SlackApp) -> None:
    app.slack.failures["chat.postMessage"] = "not_in_channel"

    await app.command("deploy payments-api v1")
    answer = await app.slack.next_response()

    assert "deployed *Payments API* `v1`" in answer["text"]
    assert "Invite me to this channel" in str(answer["blocks"])
    assert len(posted_deploys(app)) == 1


async def test_a_form_in_a_channel_without_the_bot_tells_the_user_with_the_card_button(
    app: SlackApp,
) -> None:
    app.slack.failures["chat.postMessage"] = "not_in_channel"
    view = await opened_deploy_form(app)

    await submit_modal(app, view, title_input="v1")
    told = await app.slack.next_call("chat.postEphemeral")

    assert told.args["user"] == MEMBER
    assert "deployed *Payments API* `v1`" in told.args["text"]
    [button] = told.args["blocks"][1]["elements"]
    assert button["value"] == "payments-api"


# --- the modals --------------------------------------------------------------------------------


async def test_a_deploy_without_a_title_opens_the_prefilled_modal_first(app: SlackApp) -> None:
    await app.command("deploy payments-api env=staging sha=abcdef1")
    opened = await app.slack.next_call("views.open")

    listener_calls = [c.method for c in app.slack.calls if c.method != "auth.test"]
    assert listener_calls[0] == "views.open"
    view = opened.args["view"]
    assert view["callback_id"] == ids.DEPLOY_VIEW
    shown = str(view["blocks"])
    assert "payments-api" in shown
    assert "staging" in shown
    assert "abcdef1" in shown
    assert json.loads(view["private_metadata"])["channel"] == CHANNEL


async def test_the_deploy_modal_records_and_announces(app: SlackApp) -> None:
    view = await opened_deploy_form(app)

    answer = await submit_modal(app, view, title_input="From the modal", url_input="https://ci/1")
    announced = await app.slack.next_call("chat.postMessage")

    assert answer is None  # an empty ack closes the modal
    [body] = posted_deploys(app)
    assert body["title"] == "From the modal"
    assert body["url"] == "https://ci/1"
    assert "environment" not in body  # empty optional fields are not sent
    assert announced.args["channel"] == CHANNEL


@pytest.mark.parametrize(
    ("inputs", "block", "message"),
    [
        ({"title_input": ""}, ids.TITLE_BLOCK, "title"),
        ({"title_input": "t", "url_input": "ftp://x"}, ids.URL_BLOCK, "http"),
        ({"title_input": "t", "service_select": "nope"}, ids.SERVICE_BLOCK, "no service"),
    ],
    ids=["empty title", "bad url", "unknown service"],
)
async def test_bad_modal_input_is_an_inline_error(
    app: SlackApp, inputs: dict[str, str], block: str, message: str
) -> None:
    view = await opened_deploy_form(app)

    answer = await submit_modal(app, view, **inputs)

    assert answer["response_action"] == "errors"
    assert message in answer["errors"][block]
    assert posted_deploys(app) == []


async def test_a_double_submit_of_the_modal_records_once(app: SlackApp) -> None:
    view = await opened_deploy_form(app)

    await submit_modal(app, view, title_input="v9")
    await submit_modal(app, view, title_input="v9")
    await app.slack.next_call("chat.postMessage")

    assert len(posted_deploys(app)) == 1


async def test_the_event_modal_records_the_type_and_description(app: SlackApp) -> None:
    await app.command("event payments-api")
    opened = await app.slack.next_call("views.open")
    view = next(iter(app.slack.views.values()))

    await submit_modal(
        app,
        view,
        event_type_select="CONFIG_CHANGE",
        title_input="Config change",
        description_input="Raised pool size",
    )
    await app.slack.next_call("chat.postMessage")

    [body] = posted_events(app)
    assert opened.args["view"]["callback_id"] == ids.EVENT_VIEW
    assert body["type"] == "CONFIG_CHANGE"
    assert body["description"] == "Raised pool size"


async def test_a_cortex_failure_after_the_modal_closed_is_told_to_the_user(app: SlackApp) -> None:
    app.cortex.faults.append(Fault(status=500, method="POST"))
    view = await opened_deploy_form(app)

    await submit_modal(app, view, title_input="v1")
    told = await app.slack.next_call("chat.postEphemeral")

    assert told.args["user"] == MEMBER
    assert "not answering" in told.args["text"]


# --- buttons and shortcuts ---------------------------------------------------------------------


async def test_the_cards_record_deploy_button_opens_the_modal_for_that_service(
    app: SlackApp,
) -> None:
    await app.click(ids.RECORD_DEPLOY, value="search")
    opened = await app.slack.next_call("views.open")

    assert opened.args["view"]["callback_id"] == ids.DEPLOY_VIEW
    assert "'value': 'search'" in str(opened.args["view"]["blocks"])


async def test_the_lookup_shortcut_shows_the_card_in_the_modal(app: SlackApp) -> None:
    await app.shortcut(ids.LOOKUP_SHORTCUT)
    opened = await app.slack.next_call("views.open")
    view = next(iter(app.slack.views.values()))

    answer = await submit_modal(app, view, service_select="payments-api")
    updated = await app.slack.next_call("views.update")

    assert opened.args["view"]["callback_id"] == ids.LOOKUP_VIEW
    assert answer["response_action"] == "update"
    assert "Payments API" in str(updated.args["view"]["blocks"])


async def test_the_message_shortcut_prefills_the_event_modal_with_the_message(
    app: SlackApp,
) -> None:
    message = {"type": "message", "ts": "1700000000.123456", "text": "DB failover done\nall good"}

    await app.shortcut(ids.RECORD_EVENT_SHORTCUT, message=message)
    opened = await app.slack.next_call("views.open")
    updated = await app.slack.next_call("views.update")

    first = str(opened.args["view"]["blocks"])
    assert "DB failover done" in first
    assert "all good" in first
    with_link = str(updated.args["view"]["blocks"])
    assert f"https://test.slack.com/archives/{CHANNEL}/p1700000000123456" in with_link


def test_a_long_url_value_is_read_in_linear_time() -> None:
    """A quoted `url=` of 300,000 characters with a space in it is refused at once (the old check
    backtracked quadratically: hours for this value). Run apart, so a regression cannot hang the
    suite: the deadline is generous for Python starting, and far from what backtracking takes."""
    script = (
        "from handlers import COMMANDS;"
        "print(COMMANDS.parse('deploy payments-api t url=\"http://' + 'a' * 300_000 + ' x\"'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert "`url` must be an http or https link" in done.stdout


async def test_a_deploy_cortex_refused_for_an_unknown_service_can_be_sent_again(
    app: SlackApp,
) -> None:
    """A service the catalog does not list is not written to (so no claim is taken), and the same
    request sent again once the service exists records it (a new service is looked up once)."""
    await app.command("deploy brand-new first release", trigger_id="trigger-again")
    unknown = await app.slack.next_response()
    app.cortex.add_service("brand-new", "Brand New")

    await app.command("deploy brand-new first release", trigger_id="trigger-again")
    announced = await app.slack.next_call("chat.postMessage")

    assert unknown["text"] == "No service matches brand-new"
    recorded = app.cortex.requests_to("/api/v1/catalog/brand-new/deploys", "POST")
    assert [request.body["title"] for request in recorded] == ["first release"]
    assert "deployed *Brand New* `first release`" in announced.args["text"]


# --- what the channel reads ----------------------------------------------------------------------


def announced(message: Message) -> tuple[str, list[str]]:
    """The news line, and the values of its buttons."""
    blocks = [block.to_dict() for block in message.blocks]
    buttons = [element["value"] for b in blocks[1:] for element in b["elements"]]
    return str(message.text), buttons


NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def recorded(title: str, kind: DeployType, when: datetime, **fields: Any) -> Deploy:
    return Deploy(uuid="d", title=title, type=kind, timestamp=when, **fields)


def test_a_deploy_reads_as_news_with_the_person_once_and_a_button_to_the_card() -> None:
    deploy = recorded(
        "v1.2.3",
        DeployType.DEPLOY,
        NOW,
        environment="production",
        deployer={"name": "Ana Lima", "email": "ana@example.com"},
    )

    text, buttons = announced(deploy_recorded("U0ANA", "Payments", "payments", deploy, NOW))

    assert text == ":rocket: <@U0ANA> deployed *Payments* `v1.2.3` to *production*"
    assert buttons == ["payments"]


def test_a_rollback_is_marked_with_its_emoji_and_the_word() -> None:
    deploy = recorded("v1.2.2", DeployType.ROLLBACK, NOW, environment="production", sha="abc1234")

    text, _ = announced(deploy_recorded("U0ANA", "Payments", "payments", deploy, NOW))

    assert text == (
        ":rewind: <@U0ANA> *rolled back* *Payments* to `v1.2.2` in *production* · `abc1234`"
    )


def test_the_time_is_said_only_when_it_is_not_now() -> None:
    earlier = NOW - timedelta(hours=3)
    deploy = recorded("v7", DeployType.DEPLOY, earlier)
    event = CustomEvent(uuid="e", type="FLAG", title="Flag on", timestamp=earlier)

    deploy_text, _ = announced(deploy_recorded("U0ANA", "Payments", "payments", deploy, NOW))
    event_text, _ = announced(event_recorded("U0ANA", "Payments", "payments", event, NOW))
    now_text, _ = announced(
        event_recorded("U0ANA", "Payments", "payments", event, earlier + timedelta(minutes=1))
    )

    stamp = (
        f"<!date^{int(earlier.timestamp())}^{{date_short_pretty}} at {{time}}|2026-11-22 09:00 UTC>"
    )
    assert deploy_text == f":rocket: <@U0ANA> deployed *Payments* `v7`, {stamp}"
    assert event_text.endswith(f"to *Payments*, {stamp}")
    assert now_text == ":pushpin: <@U0ANA> added *Flag on* (FLAG) to *Payments*"


async def test_opening_the_card_from_the_news_leaves_the_news_in_the_channel(
    app: SlackApp,
) -> None:
    await app.command("deploy payments-api v1")
    news = await app.slack.next_call("chat.postMessage")
    [button] = news.args["blocks"][1]["elements"]

    await app.click(button["action_id"], value=button["value"], shared=True)
    card = await app.slack.next_response()

    assert card["replace_original"] is False
    assert card["response_type"] == "ephemeral"
    assert "Payments API" in card["text"]


# --- the forms ------------------------------------------------------------------------------------


def offered(answer: dict[str, Any]) -> list[str]:
    return [option["value"] for option in answer["options"]]


async def test_environments_offered_are_those_deployed_to_lately_and_what_is_typed(
    app: SlackApp,
) -> None:
    for environment, hours in (("staging", 3), ("Production", 1), ("production", 2)):
        app.cortex.add_deploy(
            "payments-api", "r", datetime.now(UTC) - timedelta(hours=hours), environment=environment
        )
    await app.answer("deploys payments-api")  # the bot has seen these deploys

    assert offered(await app.options(ids.ENVIRONMENT_SELECT, "")) == ["Production", "staging"]
    assert offered(await app.options(ids.ENVIRONMENT_SELECT, "prod")) == ["prod", "Production"]
    assert offered(await app.options(ids.ENVIRONMENT_SELECT, "canary-eu")) == ["canary-eu"]
    assert offered(await app.options(ids.ENVIRONMENT_SELECT, "STAGING")) == ["staging"]


async def test_event_types_offer_the_common_ones_and_what_is_typed(app: SlackApp) -> None:
    common = await app.options(ids.EVENT_TYPE_SELECT, "")
    typed = await app.options(ids.EVENT_TYPE_SELECT, "flag")

    assert offered(common)[:3] == ["INCIDENT", "CONFIG_CHANGE", "FEATURE_FLAG"]
    assert offered(typed) == ["flag", "FEATURE_FLAG"]


async def test_a_deploy_can_be_backfilled_with_the_forms_time_and_the_news_says_when(
    app: SlackApp,
) -> None:
    view = await opened_deploy_form(app)
    earlier = int((datetime.now(UTC) - timedelta(hours=6)).timestamp())
    state = modal_values(view, title_input="v2", environment_select="production")
    state[ids.WHEN_BLOCK][ids.WHEN_PICKER]["selected_date_time"] = earlier
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "t0alpha"},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": state}, "team_id": TEAM},
    }

    await app.interact(payload)
    news = await app.slack.next_call("chat.postMessage")

    [body] = posted_deploys(app)
    assert body["timestamp"] == datetime.fromtimestamp(earlier, UTC).isoformat().replace(
        "+00:00", "Z"
    )
    assert body["environment"] == "production"
    assert f"<!date^{earlier}^" in news.args["text"]


def sent_time(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["timestamp"])


@pytest.mark.parametrize("kind", ["deploy", "event"])
async def test_a_form_left_at_its_opening_time_records_the_time_of_submission(
    app: SlackApp, kind: str
) -> None:
    """A form filled in for a while records when it was submitted (the digest window it belongs
    to), not when it was opened."""
    await app.command(f"{kind} payments-api")
    await app.slack.next_call("views.open")
    view = next(iter(app.slack.views.values()))
    after_opening = datetime.now(UTC)

    await submit_modal(app, view, title_input="v3", event_type_select="FLAG")
    await app.slack.next_call("chat.postMessage")

    [body] = posted_deploys(app) if kind == "deploy" else posted_events(app)
    assert after_opening <= sent_time(body) <= datetime.now(UTC)


async def test_a_prefilled_service_shows_by_name_with_its_tag(app: SlackApp) -> None:
    await app.command("deploy payments-api")
    opened = await app.slack.next_call("views.open")
    named = await app.slack.next_call("views.update")

    def picked(view: dict[str, Any]) -> str:
        found = next(b for b in view["blocks"] if b.get("block_id") == ids.SERVICE_BLOCK)
        return str(found["element"]["initial_option"]["text"]["text"])

    assert picked(opened.args["view"]) == "payments-api"  # opened at once, before any read
    assert picked(named.args["view"]) == "Payments API (payments-api)"
    assert named.args["hash"]  # the update gives way to any change the person made meanwhile


async def test_the_forms_say_optional_once_with_plain_hints_and_cancel(app: SlackApp) -> None:
    await app.command("event payments-api")
    opened = await app.slack.next_call("views.open")
    view = opened.args["view"]

    labels = [block["label"]["text"] for block in view["blocks"] if block["type"] == "input"]
    hints = [block["hint"]["text"] for block in view["blocks"] if "hint" in block]
    assert not any("optional" in label.lower() for label in labels)  # Slack adds it itself
    assert not any("`" in hint for hint in hints)
    assert view["close"]["text"] == "Cancel"
