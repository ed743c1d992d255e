"""The global shortcut "Look up a service": a modal with a picker, then the card in the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from handlers import ids
from handlers.background import acked, continue_in_background
from handlers.blocks.common import section
from handlers.blocks.recording import service_picker
from handlers.commands.service import service_answer
from handlers.context import Invocation

TITLE = "Look up a service"


def _modal(blocks: list[Block], *, submit: bool) -> View:
    return View(
        type="modal",
        callback_id=ids.LOOKUP_VIEW,
        title=TITLE,
        submit="Show" if submit else None,
        close="Close",
        blocks=blocks,
    )


async def open_lookup(invocation: Invocation) -> None:
    view = _modal([service_picker(None, label="Which service?")], submit=True)
    await invocation.client.views_open(trigger_id=invocation.trigger_id, view=view)


async def fill_card(invocation: Invocation) -> None:
    view = invocation.body["view"]
    picked = view["state"]["values"][ids.SERVICE_BLOCK][ids.SERVICE_SELECT]["selected_option"]
    _text, blocks = await service_answer(await invocation.catalog(), picked["value"])
    await invocation.client.views_update(view_id=view["id"], view=_modal(blocks, submit=False))


async def show_card(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # The card may take longer than Slack waits for this answer: show progress, then the card.
    await ack(response_action="update", view=_modal([section("Looking it up…")], submit=False))
    continue_in_background(fill_card, Invocation.of(context, client, body), context)


def register(app: AsyncApp) -> None:
    app.shortcut(ids.LOOKUP_SHORTCUT)(acked(open_lookup))
    app.view(ids.LOOKUP_VIEW)(show_card)
