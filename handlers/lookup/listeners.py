"""Looking services up: `/cortex <tag>`, `service`, `search`, `deploys`, `oncall`; the buttons on
their answers; the service pickers' typeahead; and the "Look up a service" shortcut.

The answers are ephemeral (they are for the person asking).
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.catalog import Catalog
from bot.errors import BotError, UnknownServiceError
from bot.snapshot import take_snapshot
from handlers.common import ids
from handlers.common.acking import continue_in_background
from handlers.common.blocks import service_people, unknown_service_message
from handlers.common.context import Invocation, catalog_of, open_modal
from handlers.common.kit import OPTIONS, Message, modal, options
from handlers.common.mrkdwn import Mrkdwn, escaped
from handlers.common.people import slack_people
from handlers.lookup.blocks import (
    deploys_page,
    oncall_blocks,
    search_results,
    service_card,
)
from handlers.lookup.grammar import Deploys, Oncall, Search, ServiceLookup
from handlers.lookup.modals import looking_up_modal, lookup_modal, picker_modal

log = logging.getLogger(__name__)


async def service_answer(
    invocation: Invocation, query: str, maybe_subcommand: str | None = None
) -> Message:
    """The service card, or "did you mean" with the closest services."""
    catalog = await invocation.catalog()
    try:
        snapshot = await catalog.resolve(query, partial(take_snapshot, catalog))
    except UnknownServiceError as unknown:
        return unknown_service_message(
            query, unknown.suggestions, invocation.slash, maybe_subcommand
        )
    people = await slack_people(
        invocation.client, invocation.services, invocation.team_id, service_people(snapshot)
    )
    entity = snapshot.entity
    card = service_card(snapshot, catalog.client.base_url, people, await _service_names(catalog))
    return Message(escaped(entity.name.strip() or entity.tag), card)


async def _service_names(catalog: Catalog) -> dict[str, str]:
    """Service names by tag, from the catalog's listing (resolving the card's service read it);
    none when it cannot be read (the card shows tags)."""
    try:
        services = (await catalog.services()).value
    except BotError as error:
        log.info("no service names for a card of team %s: %s", catalog.team_id, error)
        return {}
    return {entity.tag: entity.name for entity in services}


async def deploys_answer(catalog: Catalog, tag: str, offset: int, slash: str) -> Message:
    try:
        entity = (await catalog.resolve(tag, catalog.entity)).value
    except UnknownServiceError as unknown:
        return unknown_service_message(tag, unknown.suggestions, slash)
    deploys = (await catalog.deploys(entity.tag)).value
    text = Mrkdwn("Deploys of {}").format(entity.name)
    return Message(text, deploys_page(entity, deploys, offset))


async def _reply(invocation: Invocation, answer: Message) -> None:
    await invocation.respond(answer)


async def lookup(invocation: Invocation, command: ServiceLookup) -> None:
    await _reply(
        invocation, await service_answer(invocation, command.query, command.maybe_subcommand)
    )


async def search_answer(invocation: Invocation, words: str, offset: int) -> Message:
    found = await (await invocation.catalog()).search(words)
    text = Mrkdwn("Services matching {}").format(words)
    return Message(text, search_results(words, found, offset, invocation.slash))


async def search(invocation: Invocation, command: Search) -> None:
    await _reply(invocation, await search_answer(invocation, command.words, 0))


async def deploys(invocation: Invocation, command: Deploys) -> None:
    catalog = await invocation.catalog()
    await _reply(invocation, await deploys_answer(catalog, command.tag, 0, invocation.slash))


async def oncall(invocation: Invocation, command: Oncall) -> None:
    catalog = await invocation.catalog()
    try:
        entity = (await catalog.resolve(command.tag, catalog.entity)).value
    except UnknownServiceError as unknown:
        suggested = unknown_service_message(command.tag, unknown.suggestions, invocation.slash)
        await _reply(invocation, suggested)
        return
    oncall = (await catalog.oncall(entity.tag)).value
    people = await slack_people(
        invocation.client, invocation.services, invocation.team_id, oncall.emails
    )
    text = Mrkdwn("On call for {}").format(entity.name)
    await _reply(invocation, Message(text, oncall_blocks(entity, oncall, people)))


# --- buttons -------------------------------------------------------------------------------------


async def show_service(invocation: Invocation) -> None:
    if invocation.body.get("view"):
        # App Home or a modal: the card opens in a modal of its own, at once, then fills in.
        opened = await invocation.open_loading_modal(looking_up_modal())
        await _fill_card(invocation, opened["id"], invocation.value)
        return
    answer = await service_answer(invocation, invocation.value)
    # A button on a private answer (search, "did you mean") gives way to the card; one on a
    # message the channel shares (the incident autopilot's) stays, and the card comes beside it.
    private = invocation.body.get("container", {}).get("is_ephemeral", True)
    await invocation.respond(answer, replace_original=private)


async def more_results(invocation: Invocation) -> None:
    """The next page of a search, in place of the one the button was on."""
    offset_text, _, words = invocation.value.partition("|")
    offset = int(offset_text) if offset_text.isdigit() else 0
    await invocation.respond(await search_answer(invocation, words, offset), replace_original=True)


async def more_deploys(invocation: Invocation) -> None:
    tag, _, offset_text = invocation.value.rpartition("|")
    offset = int(offset_text or 0)
    answer = await deploys_answer(await invocation.catalog(), tag, offset, invocation.slash)
    if invocation.body.get("view"):
        page = modal(ids.DEPLOYS_VIEW, "Deploys", answer.blocks)
        await open_modal(invocation.client, invocation.body, page)
        return
    # Paging replaces the page; the card's own button keeps the card and adds the list.
    await invocation.respond(answer, replace_original=offset > 0)


async def open_in_cortex(ack: AsyncAck) -> None:
    # A link button: Slack opens the URL; the click still has to be acknowledged.
    await ack()


# --- the service pickers' typeahead --------------------------------------------------------------


async def service_options(
    ack: AsyncAck, payload: dict[str, Any], context: AsyncBoltContext
) -> None:
    """Best matches first, from the cached catalog, at most 100."""
    # An options load can only be answered with options, so failures become an empty list.
    try:
        catalog = await catalog_of(context)
        matches = await catalog.typeahead(payload.get("value", ""), OPTIONS)
    except BotError as error:
        log.warning("no service options for team %s: %s", context.team_id, error)
        await ack(options=[])
        return
    await ack(options=options((f"{entity.name} ({entity.tag})", entity.tag) for entity in matches))


# --- the "Look up a service" shortcut ------------------------------------------------------------


async def open_lookup(invocation: Invocation) -> None:
    await open_modal(invocation.client, invocation.body, picker_modal())


async def fill_card(invocation: Invocation) -> None:
    view = invocation.body["view"]
    picked = view["state"]["values"][ids.SERVICE_BLOCK][ids.SERVICE_SELECT]["selected_option"]
    await _fill_card(invocation, view["id"], picked["value"])


async def _fill_card(invocation: Invocation, view_id: str, query: str) -> None:
    answer = await service_answer(invocation, query)
    await invocation.client.views_update(
        view_id=view_id, view=lookup_modal(answer.blocks, submit=False)
    )


async def show_card(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    # The card may take longer than Slack waits for this answer: show progress, then the card.
    await ack(response_action="update", view=looking_up_modal())
    invocation = Invocation.of(context, client, body)
    invocation.loading.shows(body["view"])
    continue_in_background(fill_card, invocation, context)
