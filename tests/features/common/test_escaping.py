"""Escaping everywhere: names, titles, descriptions and URLs from Cortex, Rootly and people that say
`<!channel>`, `<!here>`, `<@U…>` or hold a `|` never ping anyone nor make a link, in any message.

Each test drives one kind of message through signed Slack requests with hostile data in the fakes,
then checks everything the fake Slack received: no raw mention of the hostile data anywhere, the
data still shown (escaped), and (at teardown, for every test of the suite) no markup Slack would
act on that the bot did not mean to write.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY, Fault
from tests.support.fakes.rootly import ROOTLY_KEY
from tests.support.slack_harness import ADMIN, CHANNEL, MEMBER, TEAM, SlackApp

CHANNEL_PING = "<!channel>"
HERE_PING = "<!here>"
PERSON_PING = "<@UEVIL>"
PINGS = (CHANNEL_PING, HERE_PING, PERSON_PING, "<!everyone>")
# What a person typed, as Slack sends it in a command's text (it escapes `&`, `<` and `>`).
TYPED_PING = "&lt;!channel&gt;"
NAME = f"Pager {CHANNEL_PING} Relay {PERSON_PING} | x & y"
BAD_URL = f"https://links.example/a|{HERE_PING}"
NOW = datetime.now(UTC)


def parsed_texts(found: Any) -> list[str]:
    """The texts Slack parses as mrkdwn in a payload: `mrkdwn` text objects, and a message's
    top-level `text` (plain text, such as headers and buttons, Slack shows as it is)."""
    if isinstance(found, list):
        return [text for item in found for text in parsed_texts(item)]
    if not isinstance(found, dict):
        return []
    own = (
        [found["text"]]
        if isinstance(found.get("text"), str)
        and found.get("type")
        in (
            "mrkdwn",
            None,
        )
        else []
    )
    return own + [text for value in found.values() for text in parsed_texts(value)]


def sent(app: SlackApp) -> str:
    """Every text the bot sent Slack that Slack parses: Web API calls, response URLs, views."""
    payloads = [[call.args for call in app.slack.calls], app.slack.responses, app.slack.views]
    return json.dumps(parsed_texts(payloads), ensure_ascii=False)


def assert_nobody_pinged(app: SlackApp, *shown: str) -> None:
    everything = sent(app)
    for ping in PINGS:
        assert ping not in everything
    for expected in shown:
        assert expected in everything


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    """A connected workspace whose Cortex and Rootly data try to ping everyone."""
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, ROOTLY_KEY), connected_by=ADMIN
    )
    cortex = slack_app.cortex
    cortex.add_service(
        "pager",
        NAME,
        description=f"Wakes {HERE_PING} & <!everyone>",
        teams=(f"ops{HERE_PING}",),
        emails=(f"a{PERSON_PING}@example.com",),
        links=((f"Runbook {CHANNEL_PING}", "runbook", BAD_URL),),
        slack_channels=(f"ops{HERE_PING}",),
        groups=("payments",),
    )
    cortex.add_deploy(
        "pager",
        f"Release {HERE_PING} & co",
        NOW - timedelta(hours=1),
        url=f"https://ci.example/d|{CHANNEL_PING}",
        environment=CHANNEL_PING,
        sha=PERSON_PING,
        deployer={"name": f"Bo {HERE_PING}", "email": "bo@example.com"},
    )
    cortex.add_event(
        "pager", f"Flag {CHANNEL_PING}", NOW - timedelta(minutes=30), type=f"FLAG{PERSON_PING}"
    )
    cortex.oncall["pager"] = [
        {
            "provider": "PAGERDUTY",
            "escalations": [
                {
                    "escalationLevel": 1,
                    "schedules": [{"user": {"name": f"Cy {CHANNEL_PING}", "email": "cy@x.io"}}],
                }
            ],
        }
    ]
    cortex.scores["pager"] = [
        {
            "scorecardId": 1,
            "scorecardName": f"Ready {HERE_PING}",
            "score": 1,
            "scorePercentage": 0.1,
            "totalPossibleScore": 10,
            "ladderLevels": [{"level": {"name": f"Gold {PERSON_PING}", "number": 1}}],
        }
    ]
    return slack_app


# --- from Cortex ---------------------------------------------------------------------------------


async def test_the_card(app: SlackApp) -> None:
    card = await app.answer("pager")

    assert card["blocks"][0]["text"]["text"] == NAME  # a header is plain text: shown as is
    assert_nobody_pinged(
        app,
        "Pager &lt;!channel&gt; Relay &lt;@UEVIL&gt; | x &amp; y",
        "Wakes &lt;!here&gt; &amp; &lt;!everyone&gt;",
        "Runbook &lt;!channel&gt; (https://links.example/a|&lt;!here&gt;)",
        "Release &lt;!here&gt; &amp; co (https://ci.example/d|&lt;!channel&gt;)",
        "Cy &lt;!channel&gt;",
        "Ready &lt;!here&gt;: Gold &lt;@UEVIL&gt;",
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("deploys pager", "Release &lt;!here&gt; &amp; co"),
        ("oncall pager", "*Level 1* · PagerDuty: Cy &lt;!channel&gt;"),
        ("search relay", "*Pager &lt;!channel&gt; Relay"),
        (f"nosuch {TYPED_PING}", "No service matches `nosuch &lt;!channel&gt;`"),
        (f"search {TYPED_PING}", "1 service matches `&lt;!channel&gt;`:"),
    ],
    ids=["deploys", "oncall", "search", "did you mean", "search typed"],
)
async def test_lookup_answers(app: SlackApp, text: str, shown: str) -> None:
    reply = await app.answer(text)

    assert_nobody_pinged(app, shown)
    assert not set(PINGS) & set(reply["text"].split())


async def test_a_cortex_error_message_is_escaped(app: SlackApp) -> None:
    app.cortex.faults.append(
        Fault(status=400, message=f"bad {CHANNEL_PING}", path_contains="/deploys", method="POST")
    )

    await app.answer("deploy pager hotfix")

    assert_nobody_pinged(app, "Cortex rejected the request: bad &lt;!channel&gt;.")


async def test_the_digest(app: SlackApp) -> None:
    await app.command("digest now")

    summary = await app.slack.next_call("chat.postMessage")
    details = await app.slack.next_call("chat.postMessage", 2)  # the thread reply names them
    assert summary.args["channel"] == details.args["channel"] == CHANNEL
    assert_nobody_pinged(app, "Pager &lt;!channel&gt; Relay", "Flag &lt;!channel&gt;")


# --- from people ---------------------------------------------------------------------------------


async def test_a_recorded_deploy_announcement(app: SlackApp) -> None:
    await app.command(f"deploy pager Ship {TYPED_PING} env=&lt;!here&gt; url=https://ci.example/1")

    announced = await app.slack.next_call("chat.postMessage")
    assert announced.args["text"].startswith(
        f":rocket: <@{ADMIN}> deployed *Pager &lt;!channel&gt;"
    )
    assert_nobody_pinged(app, "<https://ci.example/1|Ship &lt;!channel&gt;> to *&lt;!here&gt;*")


async def test_a_recorded_event_announcement(app: SlackApp) -> None:
    await app.command(f'event pager "Flag {TYPED_PING}" type=X&lt;!here&gt;')

    await app.slack.next_call("chat.postMessage")
    assert_nobody_pinged(app, "added *Flag &lt;!channel&gt;* (X&lt;!here&gt;) to *Pager &lt;!")


async def test_a_digest_scope_a_person_typed(app: SlackApp) -> None:
    await app.answer(f"digest daily group={TYPED_PING}")
    await app.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    await app.slack.next_call("views.publish")

    assert_nobody_pinged(app, "services in group `&lt;!channel&gt;`")


async def test_a_parse_error_echoes_what_was_typed_escaped(app: SlackApp) -> None:
    await app.answer(f"deploy pager x type={TYPED_PING}")

    assert_nobody_pinged(app, "not `&lt;!channel&gt;`")


# --- from Rootly and Slack -----------------------------------------------------------------------


async def test_the_incident_summary(app: SlackApp) -> None:
    incident = app.rootly.add_incident(f"Down {CHANNEL_PING}", slack_channel_id=CHANNEL)
    app.rootly.incidents[incident]["url"] = f"https://rootly.example/i|{HERE_PING}"
    await app.command("incident")
    await app.slack.next_call("views.update")
    view = next(iter(app.slack.views.values()))
    state = {
        ids.INCIDENT_SERVICES_BLOCK: {
            ids.INCIDENT_SERVICES: {"selected_options": [{"value": "pager"}]}
        },
        ids.INCIDENT_BLOCK: {ids.INCIDENT_SELECT: {"selected_option": {"value": incident}}},
        ids.INCIDENT_ACTIONS_BLOCK: {
            ids.INCIDENT_ACTIONS: {"selected_options": [{"value": ids.POST_INCIDENT_SUMMARY}]}
        },
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": state}},
    }

    await app.interact(payload)
    posted = await app.slack.next_call("chat.postMessage")
    await app.slack.next_call("chat.postEphemeral")

    assert posted.args["blocks"][0]["text"]["text"] == f"Incident context: Down {CHANNEL_PING}"
    assert_nobody_pinged(app, "Rootly incident #1 (https://rootly.example/i|&lt;!here&gt;)")


async def test_sync_messages(app: SlackApp) -> None:
    app.rootly.add_service(NAME)
    app.rootly.add_service(NAME)  # two Rootly services of that name: a conflict, named

    await app.answer("sync dry-run", user=ADMIN)
    await app.command("sync")
    await app.slack.wait_for(
        lambda: any("finished" in str(c.args) for c in app.slack.calls_to("chat.update")),
        "the sync's summary",
    )

    assert_nobody_pinged(app, "Pager &lt;!channel&gt; Relay &lt;@UEVIL&gt;")


async def test_an_odd_slack_error_is_not_repeated_to_people(app: SlackApp) -> None:
    app.slack.failures["chat.postMessage"] = f"not_in_channel{CHANNEL_PING}"

    reply = await app.answer("sync", user=ADMIN)

    assert "I cannot post its progress in this channel (Slack refused it)" in reply["text"]
    assert "not_in_channel" not in reply["text"]
    assert_nobody_pinged(app)


async def test_a_connection_url_in_the_summary_and_the_disconnect_question(app: SlackApp) -> None:
    hostile = f"https://cortex.example/{HERE_PING}"
    await app.services.workspaces.save(TEAM, NewKeys(hostile, CORTEX_KEY, None), ADMIN)

    await app.event({"type": "app_home_opened", "user": ADMIN, "tab": "home"})
    await app.slack.next_call("views.publish")
    await app.command("disconnect")
    question = await app.slack.next_response()

    assert "Disconnect this workspace from Cortex at" in str(question)
    assert_nobody_pinged(app, "https://cortex.example/&lt;!here&gt;")
