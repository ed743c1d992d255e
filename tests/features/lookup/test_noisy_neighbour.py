"""One installation, two workspaces: A's self-managed Cortex stops answering with 30 of A's lookups
in flight, and B's ack, modal and card still meet their deadlines, answered while A's requests are
still held (so B never waited for them), and A never holds more than its share of the pool."""

from __future__ import annotations

import time

from bot.egress import PER_WORKSPACE
from bot.http import RetryPolicy
from bot.workspaces import NewKeys
from tests.support.apis import ServerFactory
from tests.support.fakes.cortex import CORTEX_KEY, FakeCortex
from tests.support.slack_harness import ADMIN, TEAM, AppStarter, SlackApp

HANGING = "T0HANGING"
KEY_OF_A = "cortex-key-of-workspace-a-0123456789"
# Long enough that A's requests are all still held when B is done (B's Cortex answers at once).
PATIENT = RetryPolicy(attempts=1, request_timeout=30.0, deadline=30.0)
ACK_DEADLINE = 3.0  # Slack's
TRIGGER_DEADLINE = 3.0  # a trigger id's life
CARD_DEADLINE = 2.0  # well inside the bot's own answer budget


async def timed_command(app: SlackApp, text: str) -> tuple[float, float]:
    """Send B's command; when it was sent, and how long its ack took."""
    sent = time.perf_counter()
    response = await app.command(text)
    assert response.status == 200
    return sent, time.perf_counter() - sent


async def test_a_hanging_cortex_never_delays_another_workspace(
    app_with: AppStarter, aiohttp_server: ServerFactory
) -> None:
    hanging = FakeCortex(api_keys={KEY_OF_A})
    hanging.base_url = str((await aiohttp_server(hanging.app())).make_url("")).rstrip("/")
    for number in range(30):
        hanging.add_service(f"svc-{number:03d}")
    app = await app_with(allow_private_cortex_urls=True, retries=PATIENT)
    app.cortex.add_service("payments-api", "Payments API")
    await app.services.workspaces.save(TEAM, NewKeys(app.cortex.base_url, CORTEX_KEY, None), ADMIN)
    await app.services.workspaces.save(HANGING, NewKeys(hanging.base_url, KEY_OF_A, None), ADMIN)
    await app.command("svc-000", team=HANGING)  # A's catalog is listed once...
    await app.slack.next_response()
    hanging.hang()  # ...then A's Cortex answers no more
    for number in range(30):
        await app.command(f"svc-{number:03d}", team=HANGING)
    await app.slack.wait_for(lambda: hanging.held >= PER_WORKSPACE, "A's requests to hang")

    answers = len(app.slack.responses)
    sent, card_ack = await timed_command(app, "payments-api")
    card = await app.slack.next_response(answers + 1)
    card_seconds = time.perf_counter() - sent
    held_during_card = hanging.held
    sent, modal_ack = await timed_command(app, "connect")
    opened = await app.slack.next_call("views.open")
    modal_seconds = opened.at - sent
    held_during_modal = hanging.held

    assert card_ack < ACK_DEADLINE
    assert modal_ack < ACK_DEADLINE
    assert "Payments API" in str(card["blocks"])
    assert card_seconds < CARD_DEADLINE
    assert modal_seconds < TRIGGER_DEADLINE
    assert held_during_card == held_during_modal == PER_WORKSPACE
    assert hanging.max_in_flight == PER_WORKSPACE
    hanging.answer_again()  # A's work ends now rather than at shutdown's grace period
