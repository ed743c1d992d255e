"""Buttons on service answers: open a card, page deploys, and open the deploy or event modal."""

from __future__ import annotations

from datetime import UTC, datetime

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.models.views import View

from handlers import ids
from handlers.background import acked
from handlers.blocks.recording import deploy_modal, event_modal
from handlers.commands.grammar import RecordDeploy, RecordEvent
from handlers.commands.service import deploys_answer, service_answer
from handlers.context import Invocation, open_modal


async def show_service(invocation: Invocation) -> None:
    text, blocks = await service_answer(await invocation.catalog(), invocation.value)
    await invocation.respond(
        text=text, blocks=blocks, replace_original=True, response_type="ephemeral"
    )


async def more_deploys(invocation: Invocation) -> None:
    tag, _, offset_text = invocation.value.rpartition("|")
    offset = int(offset_text or 0)
    text, blocks = await deploys_answer(await invocation.catalog(), tag, offset)
    if invocation.body.get("view"):
        page = View(type="modal", title="Deploys", blocks=blocks)
        await open_modal(invocation.client, invocation.body, page)
        return
    # Paging replaces the page; the card's own button keeps the card and adds the list.
    await invocation.respond(
        text=text, blocks=blocks, replace_original=offset > 0, response_type="ephemeral"
    )


async def record_deploy(invocation: Invocation) -> None:
    view = deploy_modal(RecordDeploy(tag=invocation.value), invocation.channel_id)
    await open_modal(invocation.client, invocation.body, view)


async def add_event(invocation: Invocation) -> None:
    prefill = RecordEvent(tag=invocation.value)
    view = event_modal(prefill, invocation.channel_id, when=datetime.now(UTC))
    await open_modal(invocation.client, invocation.body, view)


async def open_in_cortex(ack: AsyncAck) -> None:
    # A link button: Slack opens the URL; the click still has to be acknowledged.
    await ack()


def register(app: AsyncApp) -> None:
    app.action(ids.SHOW_SERVICE)(acked(show_service))
    app.action(ids.MORE_DEPLOYS)(acked(more_deploys))
    app.action(ids.RECORD_DEPLOY)(acked(record_deploy))
    app.action(ids.ADD_EVENT)(acked(add_event))
    app.action(ids.OPEN_IN_CORTEX)(open_in_cortex)
