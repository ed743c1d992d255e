"""Looking services up from Slack: the card, search, deploys, on-call, typeahead, and failures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.http import MAX_BODY_BYTES, path_segment
from bot.workspaces import NewKeys
from handlers.common import ids
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex, Fault
from tests.support.slack_harness import ADMIN, MEMBER, TEAM, AppStarter, SlackApp

NOW = datetime.now(UTC)


@pytest.fixture
async def app(slack_app: SlackApp) -> SlackApp:
    """A connected workspace whose Cortex knows a few services."""
    await slack_app.services.workspaces.save(
        TEAM, NewKeys(slack_app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    seed(slack_app.cortex)
    return slack_app


def seed(cortex: FakeCortex) -> None:
    cortex.add_service(
        "payments-api",
        "Payments API",
        description="Moves money between accounts.",
        teams=("team-pay",),
        emails=("ana@example.com",),
        links=(("Runbook", "runbook", "https://runbooks.example.com/pay"),),
        slack_channels=("pay-oncall",),
    )
    cortex.add_service("payments-worker", "Payments Worker")
    cortex.add_service("search", "Search")
    for hours in range(1, 8):
        cortex.add_deploy(
            "payments-api",
            f"release {hours}",
            NOW - timedelta(hours=hours),
            environment="prod",
            deployer={"name": "Bo Deployer", "email": "bo@example.com"},
        )
    cortex.add_oncall("payments-api", "Cy Oncall", "Di Backup")
    cortex.add_score("payments-api", "Readiness", "Gold")
    cortex.dependencies["payments-api"] = [
        {
            "callerTag": "payments-api",
            "callerType": "service",
            "calleeTag": "db",
            "calleeType": "db",
        }
    ]


# --- the card ----------------------------------------------------------------------------------


async def test_the_card_reads_the_catalog_then_every_part_at_once(app: SlackApp) -> None:
    app.cortex.latency = 0.05

    card = await app.answer("payments-api")

    shown = str(card["blocks"])
    assert card["response_type"] == "ephemeral"
    for expected in (
        "Payments API",
        "Moves money",
        "Team-Pay · <@U0ADMIN>",  # teams, then people: ana@ is a member of the workspace
        "Cy Oncall _(PagerDuty)_",
        "pay-oncall",
        "https://runbooks.example.com/pay",
        "release 1",
        "Bo Deployer",
        "Readiness: Gold",
    ):
        assert expected in shown
    assert "release 6" not in shown  # the last five deploys only
    for action in (ids.RECORD_DEPLOY, ids.ADD_EVENT, ids.MORE_DEPLOYS, ids.OPEN_IN_CORTEX):
        assert action in shown
    assert app.cortex.count() == 6  # the catalog's listing, then the card's five parts
    assert app.cortex.max_in_flight == 5


@pytest.mark.parametrize("tag", ["payments-api", "payments-worker"], ids=["on-call", "no on-call"])
async def test_a_warm_card_costs_no_cortex_call(app: SlackApp, tag: str) -> None:
    await app.answer(tag)
    before = app.cortex.count()

    await app.answer(f"service {tag}")

    assert app.cortex.count() == before


async def test_the_card_names_what_it_depends_on_from_the_catalog(app: SlackApp) -> None:
    app.cortex.add_dependency("payments-api", "payments-worker")

    card = await app.answer("payments-api")

    assert "*Depends on*\\n`db`, Payments Worker" in json.dumps(card["blocks"])


async def test_a_card_by_name(app: SlackApp) -> None:
    card = await app.answer("service Payments Worker")

    assert "Payments Worker" in str(card["blocks"])
    assert "No service matches" not in str(card["blocks"])


async def test_a_misspelt_name_offers_the_closest_services(app: SlackApp) -> None:
    answer = await app.answer("paymnts-api")

    shown = str(answer["blocks"])
    assert "No service matches" in shown
    assert ids.SHOW_SERVICE in shown
    assert shown.index("payments-api") < shown.index("search") if "search" in shown else True
    await app.click(ids.SHOW_SERVICE, value="payments-api")
    card = await app.slack.next_response(2)
    assert card["replace_original"] is True
    assert "Moves money" in str(card["blocks"])


async def test_a_typo_costs_one_cortex_request_whether_the_catalog_is_cached_or_not(
    app: SlackApp,
) -> None:
    cold = await app.answer("paymnts")
    cold_requests = app.cortex.count()
    warm = await app.answer("paymnts")

    assert "No service matches" in str(cold["blocks"])
    assert "No service matches" in str(warm["blocks"])
    assert cold_requests == 1  # the catalog's listing
    # From the cached catalog: one read of the tag, in case it is a service created since.
    assert app.cortex.count() - cold_requests == 1
    assert app.cortex.requests_to("/api/v1/catalog/paymnts") != []


async def test_a_name_that_is_no_tag_costs_nothing_once_the_catalog_is_cached(
    app: SlackApp,
) -> None:
    await app.answer("paymnts")
    before = app.cortex.count()

    answer = await app.answer("service Paymnts Worker")

    assert "No service matches" in str(answer["blocks"])
    assert app.cortex.count() == before


async def test_a_service_created_after_the_catalog_was_cached_is_found(app: SlackApp) -> None:
    await app.answer("payments-worker")
    app.cortex.add_service("brand-new", "Brand New", description="Made a minute ago.")

    card = await app.answer("brand-new")
    await app.options(ids.SERVICE_SELECT, "brand")

    assert "Made a minute ago." in str(card["blocks"])
    # The listing that missed it is read again for the next picker.
    assert len(app.cortex.requests_to("/api/v1/catalog")) == 2


async def test_an_entity_the_catalog_does_not_list_is_unknown_cached_or_not(
    app: SlackApp,
) -> None:
    app.cortex.add_service("orders-db", "Orders DB", entity_type="resource")
    app.cortex.add_service("old-api", "Old API", archived=True)

    answers = [await app.answer(text) for text in ("orders-db", "orders-db", "old-api")]

    assert all("No service matches" in str(answer["blocks"]) for answer in answers)
    assert app.cortex.requests_to("/api/v1/catalog/orders-db/deploys") == []


async def test_a_mistyped_subcommand_is_pointed_out(app: SlackApp) -> None:
    answer = await app.answer("serach payments")

    assert "/cortex search" in str(answer["blocks"])


async def test_a_long_description_is_trimmed_to_slacks_limit(app: SlackApp) -> None:
    app.cortex.entities["search"]["description"] = "x" * 5000

    card = await app.answer("service search")

    sections = [block for block in card["blocks"] if block["type"] == "section"]
    assert all(len(block.get("text", {}).get("text", "")) <= 3000 for block in sections)
    assert "…" in str(card["blocks"])


async def test_a_failing_part_is_noted_and_the_rest_shown(app: SlackApp) -> None:
    app.cortex.faults += [Fault(status=500, path_contains="/scorecards") for _ in range(2)]

    card = await app.answer("payments-api")

    shown = str(card["blocks"])
    assert "Moves money" in shown
    assert "scorecards" in shown
    assert "Cy Oncall" in shown


# --- search, deploys, on-call ------------------------------------------------------------------


async def test_search_lists_matches_with_buttons(app: SlackApp) -> None:
    for number in range(15):
        app.cortex.add_service(f"payments-extra-{number:02d}")

    answer = await app.answer("search payments")

    buttons = [
        b for b in answer["blocks"] if b.get("accessory", {}).get("action_id") == ids.SHOW_SERVICE
    ]
    assert len(buttons) == 10
    assert buttons[0]["accessory"]["value"] == "payments-api"


def rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        block
        for block in answer["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.SHOW_SERVICE
    ]


async def test_search_says_how_many_match_and_pages_them_with_more(app: SlackApp) -> None:
    for number in range(37):
        app.cortex.add_service(
            f"gw-{number:02d}",
            f"Edge Gateway {number:02d}",
            description=f"Routes region {number:02d} traffic. " + "Long words. " * 20,
            teams=(f"team-{number % 3}",),
        )

    first = await app.answer("search gateway")
    await app.click(ids.MORE_RESULTS, value="30|gateway")
    last = await app.slack.next_response(2)

    assert first["blocks"][0]["text"]["text"] == "10 of 37 services match `gateway`:"
    assert len(rows(first)) == 10
    row = rows(first)[0]["text"]["text"]
    assert row.startswith("*Edge Gateway 00* `gw-00`\nTeam-0 · Routes region 00 traffic.")
    assert row.endswith("…")  # the description cut: enough to tell rows apart
    assert len(row) < 160
    more = first["blocks"][-1]["elements"][0]
    assert (more["action_id"], more["value"]) == (ids.MORE_RESULTS, "10|gateway")
    assert last["replace_original"] is True
    assert last["blocks"][0]["text"]["text"] == "31 to 37 of 37 services match `gateway`:"
    assert [r["accessory"]["value"] for r in rows(last)] == [f"gw-{n}" for n in range(30, 37)]
    assert ids.MORE_RESULTS not in str(last["blocks"])  # the last page
    assert app.cortex.count() == 1  # both pages from one listing of the catalog


async def test_a_more_button_past_the_end_of_search_shows_the_last_page(app: SlackApp) -> None:
    for number in range(11):
        app.cortex.add_service(f"payments-extra-{number:02d}")  # 13 match with the seeded two

    await app.click(ids.MORE_RESULTS, value="20|payments")  # from when more services matched
    page = await app.slack.next_response(1)

    assert page["blocks"][0]["text"]["text"] == "11 to 13 of 13 services match `payments`:"
    assert len(rows(page)) == 3
    assert ids.MORE_RESULTS not in str(page["blocks"])


async def test_search_for_nothing_like_any_service_offers_none(app: SlackApp) -> None:
    nothing = await app.answer("search zzqx")
    typo = await app.answer("search paymnts")

    assert nothing["blocks"] == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "No service matches `zzqx`."}}
    ]
    assert [r["accessory"]["value"] for r in rows(typo)] == ["payments-api", "payments-worker"]


async def test_a_mistyped_subcommand_gets_the_command_back_and_no_services(app: SlackApp) -> None:
    answer = await app.answer("serach payments")

    assert answer["blocks"][0]["text"]["text"].startswith("Did you mean `/cortex search payments`?")
    assert rows(answer) == []


async def test_did_you_mean_rows_tell_services_apart(app: SlackApp) -> None:
    answer = await app.answer("paymnts-api")

    [row] = rows(answer)
    assert row["text"]["text"] == (
        "*Payments API* `payments-api`\nTeam-Pay · Moves money between accounts."
    )


async def test_search_finds_words_in_descriptions_owners_and_groups_from_the_catalog(
    app: SlackApp,
) -> None:
    app.cortex.add_service("billing", "Billing", description="Invoices, refunds and credits.")
    app.cortex.add_service("refunds-ui", "Refunds UI")
    app.cortex.add_service("vault", "Vault", groups=("treasury",))
    app.cortex.add_service("notifier", "Notifier", teams=("team-growth",))

    by_description = await app.answer("search refunds")
    by_group = await app.answer("search treasury")
    by_owner = await app.answer("search team-growth")

    def found(answer: dict[str, Any]) -> list[str]:
        return [
            b["accessory"]["value"]
            for b in answer["blocks"]
            if b.get("accessory", {}).get("action_id") == ids.SHOW_SERVICE
        ]

    assert found(by_description)[:2] == ["refunds-ui", "billing"]
    assert found(by_group)[0] == "vault"
    assert found(by_owner)[0] == "notifier"
    assert app.cortex.count() == 1  # one listing of the catalog, then answers from the cache


async def test_search_ranks_names_holding_every_word_before_descriptions(app: SlackApp) -> None:
    app.cortex.add_service("client-lib", "Client Lib", description="Calls the payments API.")
    app.cortex.add_service("payments-gateway-api", "Payments Gateway API")

    answer = await app.answer("search api payments")

    assert [r["accessory"]["value"] for r in rows(answer)] == [
        "payments-api",
        "payments-gateway-api",
        "client-lib",  # only its description says "payments API"
    ]


async def test_deploys_are_paged_newest_first(app: SlackApp) -> None:
    for number in range(20):
        app.cortex.add_deploy("search", f"build {number:02d}", NOW - timedelta(days=number))

    first = await app.answer("deploys search")
    await app.click(ids.MORE_DEPLOYS, value="search|10")
    second = await app.slack.next_response(2)

    assert "build 00" in str(first["blocks"])
    assert "build 10" not in str(first["blocks"])
    assert "1 to 10 of 20" in str(first["blocks"])
    assert "build 10" in str(second["blocks"])
    assert second["replace_original"] is True


async def test_a_more_deploys_button_past_the_end_shows_the_last_page(app: SlackApp) -> None:
    for number in range(12):
        app.cortex.add_deploy("search", f"build {number:02d}", NOW - timedelta(days=number))

    await app.click(ids.MORE_DEPLOYS, value="search|30")  # from when there were more deploys
    page = await app.slack.next_response(1)

    assert "11 to 12 of 12" in str(page["blocks"])
    assert "build 11" in str(page["blocks"])
    assert ids.MORE_DEPLOYS not in str(page["blocks"])


async def test_oncall_per_escalation_level(app: SlackApp) -> None:
    answer = await app.answer("oncall payments-api")

    shown = str(answer["blocks"])
    assert shown.index("Level 1") < shown.index("Cy Oncall") < shown.index("Level 2")
    assert "Di Backup" in shown


async def test_oncall_without_an_integration_says_so(app: SlackApp) -> None:
    answer = await app.answer("oncall search")

    assert "no on-call integration" in str(answer["blocks"])


# --- typeahead ---------------------------------------------------------------------------------


async def test_typeahead_answers_best_first_from_the_cache(app: SlackApp) -> None:
    for number in range(150):
        app.cortex.add_service(f"svc-{number:03d}")

    wide = await app.options(ids.SERVICE_SELECT, "")
    narrow = await app.options(ids.SERVICE_SELECT, "pay")

    assert len(wide["options"]) == 100
    assert [option["value"] for option in narrow["options"]][:2] == [
        "payments-api",
        "payments-worker",
    ]
    assert app.cortex.count("GET", "/api/v1/catalog") == 1


async def test_typeahead_of_an_unconnected_workspace_is_empty(slack_app: SlackApp) -> None:
    answer = await slack_app.options(ids.SERVICE_SELECT, "pay")

    assert answer["options"] == []


# --- failures ----------------------------------------------------------------------------------


async def test_the_lookup_modal_shows_the_failure_when_cortex_fails_after_loading(
    app: SlackApp,
) -> None:
    await app.shortcut(ids.LOOKUP_SHORTCUT)
    await app.slack.next_call("views.open")
    [view] = app.slack.views.values()
    app.cortex.faults += [Fault(status=503, path_contains="/payments-api") for _ in range(12)]
    picked = {
        ids.SERVICE_BLOCK: {
            ids.SERVICE_SELECT: {
                "type": "external_select",
                "selected_option": {"value": "payments-api"},
            }
        }
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": MEMBER, "team_id": TEAM},
        "api_app_id": "A0CORTEX",
        "view": {**view, "state": {"values": picked}},
    }

    answer = await (await app.interact(payload)).json()
    updated = await app.slack.next_call("views.update")

    assert "Looking it up" in str(answer["view"]["blocks"])
    assert updated.args["view_id"] == view["id"]
    assert "Cortex is not answering right now" in str(updated.args["view"]["blocks"])


async def test_not_connected_tells_how_to_connect(slack_app: SlackApp) -> None:
    answer = await slack_app.answer("payments-api")

    assert "/cortex connect" in answer["text"]
    assert ids.OPEN_CONNECT in str(answer["blocks"])


@pytest.mark.parametrize(
    ("fault", "sentence"),
    [
        (Fault(status=429, retry_after=90), "rate limiting"),
        (Fault(status=503), "not answering"),
        (Fault(status=200, delay=3), "not answering"),
    ],
    ids=["429", "5xx", "hangs"],
)
async def test_cortex_failures_are_one_plain_sentence(
    app: SlackApp, fault: Fault, sentence: str
) -> None:
    app.cortex.faults += [Fault(**fault.__dict__) for _ in range(10)]

    answer = await app.answer("payments-api")

    assert sentence in answer["text"]
    assert "Traceback" not in answer["text"]


async def test_an_expired_key_is_reported_as_such(app: SlackApp) -> None:
    app.cortex.api_keys.clear()

    answer = await app.answer("payments-api")

    assert "refused this workspace's API key" in answer["text"]


async def test_a_stale_card_when_cortex_fails_after_the_cache_expired(app: SlackApp) -> None:
    await app.answer("payments-api")
    app.clock.now += 3000  # every cached answer is past its freshness, within the stale window
    app.cortex.faults += [Fault(status=503) for _ in range(20)]

    card = await app.answer("payments-api")

    assert "Moves money" in str(card["blocks"])
    assert "older cached data" in str(card["blocks"])


async def test_a_busy_budget_is_said_so_with_what_is_known(app_with: AppStarter) -> None:
    """Our own queue for the key, not Cortex, keeps a card from being read in time: the person
    is told the budget is busy (with the cached card where there is one), never that Cortex is
    not answering."""
    # Six requests a minute (five usable): exactly one cold card's worth.
    app = await app_with(cortex_rate_limit=6, cortex_rate_period=60.0)
    await app.services.workspaces.save(
        TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), connected_by=ADMIN
    )
    seed(app.cortex)
    await app.answer("payments-api")
    app.clock.now += 3000  # every cached answer is past its freshness, within the stale window
    sent = len(app.cortex.received)

    card = await app.answer("payments-api")
    unknown = await app.answer("payments-worker")

    assert len(app.cortex.received) == sent  # Cortex was never asked
    assert "Moves money" in str(card["blocks"])
    assert "budget is busy; some of this card is older cached data" in str(card["blocks"])
    assert "This workspace's Cortex budget is busy; try again in" in unknown["text"]
    assert "not answering" not in str(card) + str(unknown)


# --- what Cortex and people send that the bot must not trust ------------------------------------


@pytest.mark.parametrize("text", ["..", ".", "deploys ..", "oncall .", "service .."])
async def test_a_dot_tag_is_never_read_as_another_cortex_path(app: SlackApp, text: str) -> None:
    answer = await app.answer(text)

    assert "No service matches" in answer["text"]
    paths = {request.path for request in app.cortex.received}
    assert paths <= {"/api/v1/catalog"}  # the listing to look the name up, nothing else


def test_a_dot_segment_cannot_be_built_into_a_path() -> None:
    for dots in (".", ".."):
        with pytest.raises(ValueError, match="cannot be a path segment"):
            path_segment(dots)
    assert path_segment("a.b") == "a.b"
    assert path_segment("../x") == "..%2Fx"


@pytest.mark.parametrize(
    "garbage",
    [[{"tag": "payments-api"}], "payments-api", 42],
    ids=["a list", "a string", "a number"],
)
async def test_garbage_for_the_service_itself_is_cortexs_fault_in_one_sentence(
    app: SlackApp, garbage: object
) -> None:
    app.cortex.faults.append(Fault(garbage=garbage, path_contains="/catalog/payments-api"))

    answer = await app.answer("payments-api")

    assert answer["text"].startswith("Cortex answered with something the bot cannot read")
    assert "which is on Cortex's side" in answer["text"]
    assert "EntityDetails" not in answer["text"]  # the bot's own model is not for people


async def test_what_an_unreadable_answer_held_never_reaches_the_log(
    app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    garbage = {"tag": "payments-api", "name": {"token": "s3cr3t-held-in-the-answer"}}
    app.cortex.faults.append(Fault(garbage=garbage, path_contains="/catalog/payments-api"))

    answer = await app.answer("payments-api")

    assert answer["text"].startswith("Cortex answered with something the bot cannot read")
    assert "EntityDetails" in caplog.text  # where it went wrong, for the operator
    assert "s3cr3t-held-in-the-answer" not in caplog.text


@pytest.mark.parametrize(
    ("part", "garbage", "note"),
    [
        (
            "/deploys",
            {"deployments": [], "page": 0, "totalPages": "many"},
            "deploys: an answer of an unexpected shape (1 problem)",
        ),
        ("/deploys", [{"title": "x"}], "deploys: a page of a listing that is not an object"),
        ("/oncall/current", {"current": "nobody"}, "on-call: an object where a list belongs"),
        (
            "/oncall/current",
            [{"current": [{"escalations": "x"}]}],
            "on-call: an answer of an unexpected shape",
        ),
        ("/scorecards", {"scores": []}, "scorecards: an object where a list belongs"),
    ],
    ids=["page count not a number", "deploys a list", "on-call an object", "nested", "scores"],
)
async def test_a_garbled_part_of_the_card_hides_only_that_part(
    app: SlackApp, part: str, garbage: object, note: str
) -> None:
    app.cortex.faults.append(Fault(garbage=garbage, path_contains=part))

    card = await app.answer("payments-api")

    blocks = str(card["blocks"])
    assert card["text"] == "Payments API"
    assert "Moves money" in blocks
    assert note in blocks


async def test_an_oversized_answer_is_said_so_in_one_sentence(app: SlackApp) -> None:
    app.cortex.add_service("huge", "Huge", description="x" * (MAX_BODY_BYTES + 1))

    answer = await app.answer("huge")

    assert "Cortex answered with more than the bot reads for one request" in answer["text"]
    assert "over 8 MiB" in answer["text"]
    assert "not answering" not in answer["text"]
