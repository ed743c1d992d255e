"""Looking services up: `/cortex <tag>`, `service`, `search`, `deploys` and `oncall`.

The answers are ephemeral (they are for the person asking). `service_answer` and `deploys_answer`
are shared with the buttons and the lookup shortcut, which show the same things.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.catalog import Catalog
from bot.cortex.models import Entity
from bot.errors import NotFoundError
from bot.snapshot import take_snapshot
from handlers.blocks.service import (
    deploys_page,
    oncall_blocks,
    search_results,
    service_card,
    suggestions,
)
from handlers.commands.grammar import Deploys, Oncall, Search, ServiceLookup
from handlers.context import Invocation

Answer = tuple[str, list[Block]]


def _may_be_tag(text: str) -> bool:
    return bool(text) and not any(character.isspace() for character in text)


async def _known_entity(catalog: Catalog, query: str) -> Entity | None:
    """The entity `query` names, by tag first (one request) and then by the finder."""
    if _may_be_tag(query):
        try:
            return (await catalog.entity(query)).value
        except NotFoundError:
            pass
    return (await catalog.find(query)).match


async def not_found_answer(
    catalog: Catalog, query: str, maybe_subcommand: str | None = None
) -> Answer:
    found = await catalog.find(query)
    return f"No service matches {query}", suggestions(query, found.suggestions, maybe_subcommand)


async def service_answer(
    catalog: Catalog, query: str, maybe_subcommand: str | None = None
) -> Answer:
    """The service card, or "did you mean" with the closest services."""
    tag = query.strip()
    cortex_url = catalog.client.base_url
    if _may_be_tag(tag):
        # Most people type a tag: try it directly, so a cold card is one concurrent round trip.
        try:
            snapshot = await take_snapshot(catalog, tag)
        except NotFoundError:
            pass
        else:
            return snapshot.entity.name, service_card(snapshot, cortex_url)
    found = await catalog.find(query)
    if found.match is None:
        return await not_found_answer(catalog, query, maybe_subcommand)
    snapshot = await take_snapshot(catalog, found.match.tag)
    return snapshot.entity.name, service_card(snapshot, cortex_url)


async def deploys_answer(catalog: Catalog, tag: str, offset: int) -> Answer:
    entity = await _known_entity(catalog, tag)
    if entity is None:
        return await not_found_answer(catalog, tag)
    deploys = (await catalog.deploys(entity.tag)).value
    return f"Deploys of {entity.name}", deploys_page(entity, deploys, offset)


async def _reply(invocation: Invocation, answer: Answer) -> None:
    text, blocks = answer
    await invocation.respond(text=text, blocks=blocks, response_type="ephemeral")


async def lookup(invocation: Invocation, command: ServiceLookup) -> None:
    catalog = await invocation.catalog()
    await _reply(invocation, await service_answer(catalog, command.query, command.maybe_subcommand))


async def search(invocation: Invocation, command: Search) -> None:
    matches = await (await invocation.catalog()).typeahead(command.words)
    text = f"Services matching {command.words}"
    await _reply(invocation, (text, search_results(command.words, matches)))


async def deploys(invocation: Invocation, command: Deploys) -> None:
    await _reply(invocation, await deploys_answer(await invocation.catalog(), command.tag, 0))


async def oncall(invocation: Invocation, command: Oncall) -> None:
    catalog = await invocation.catalog()
    entity = await _known_entity(catalog, command.tag)
    if entity is None:
        await _reply(invocation, await not_found_answer(catalog, command.tag))
        return
    levels = (await catalog.oncall(entity.tag)).value
    await _reply(invocation, (f"On call for {entity.name}", oncall_blocks(entity, levels)))
