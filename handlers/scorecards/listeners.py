"""`/cortex scores` and `/cortex scorecard`, and the buttons that lead to them (the card's too).

The answers are ephemeral (they are for the person asking).
"""

from __future__ import annotations

from functools import partial

from slack_bolt.async_app import AsyncAck

from bot.catalog import Catalog
from bot.errors import UnknownScorecardError, UnknownServiceError
from bot.scorecards import service_scorecards
from handlers.common import ids
from handlers.common.blocks import unknown_service_message
from handlers.common.context import Invocation
from handlers.common.kit import Message, section
from handlers.common.mrkdwn import Mrkdwn, escaped
from handlers.scorecards.blocks import (
    scorecard_blocks,
    scorecard_suggestions,
    scores_blocks,
    scores_modal,
)
from handlers.scorecards.grammar import ScorecardQuery, Scores


async def scores_answer(catalog: Catalog, query: str, slash: str) -> Message:
    """A service's scorecards, or "did you mean" with the closest services."""
    try:
        found = await catalog.resolve(query, partial(service_scorecards, catalog))
    except UnknownServiceError as unknown:
        return unknown_service_message(query, unknown.suggestions, slash, action_id=ids.SHOW_SCORES)
    text = Mrkdwn("Scorecards of {}").format(found.entity.name)
    return Message(text, scores_blocks(found, catalog.client.base_url))


async def scorecard_answer(catalog: Catalog, query: str) -> Message:
    """A scorecard across its services, or "did you mean" with the closest scorecards."""
    try:
        scorecard = await catalog.resolve_scorecard(query)
    except UnknownScorecardError as unknown:
        text = Mrkdwn("No scorecard matches {}").format(query)
        return Message(text, scorecard_suggestions(query, unknown.suggestions))
    summary = await catalog.scorecard_summary(scorecard)
    base_url = catalog.client.base_url
    blocks = scorecard_blocks(summary.value, base_url, stale_because=summary.because)
    return Message(escaped(scorecard.name.strip() or scorecard.tag), blocks)


async def _reply(invocation: Invocation, answer: Message, *, replace: bool = False) -> None:
    await invocation.respond(answer, replace_original=replace)


async def scores(invocation: Invocation, command: Scores) -> None:
    catalog = await invocation.catalog()
    await _reply(invocation, await scores_answer(catalog, command.query, invocation.slash))


async def scorecard(invocation: Invocation, command: ScorecardQuery) -> None:
    await _reply(invocation, await scorecard_answer(await invocation.catalog(), command.query))


# --- buttons -------------------------------------------------------------------------------------


async def show_scores(invocation: Invocation) -> None:
    """A service's scorecards, below the card or list the button was on (or over its modal)."""
    if invocation.body.get("view"):
        await _scores_over_modal(invocation)
        return
    catalog = await invocation.catalog()
    await _reply(invocation, await scores_answer(catalog, invocation.value, invocation.slash))


async def _scores_over_modal(invocation: Invocation) -> None:
    # The click's trigger lasts 3 s: the modal opens first, the answer replaces its placeholder
    # (or, if it fails, the error map's sentence does).
    loading = scores_modal([section(Mrkdwn("Reading the scorecards…"))])
    opened = await invocation.open_loading_modal(loading)
    answer = await scores_answer(await invocation.catalog(), invocation.value, invocation.slash)
    await invocation.client.views_update(view_id=opened["id"], view=scores_modal(answer.blocks))


async def show_scorecard(invocation: Invocation) -> None:
    """A scorecard picked from "did you mean": it takes the suggestions' place."""
    answer = await scorecard_answer(await invocation.catalog(), invocation.value)
    await _reply(invocation, answer, replace=True)


async def open_scorecard(ack: AsyncAck) -> None:
    # A link button: Slack opens the URL; the click still has to be acknowledged.
    await ack()
