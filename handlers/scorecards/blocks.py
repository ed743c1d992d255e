"""The scorecard answers: one service across its scorecards, one scorecard across its services.

Both stay within one message however much Cortex says: at most 10 scorecards and 20 services are
shown one per block, and every list inside a block is cut to Slack's 3,000 characters with a count
of what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.cortex.models import Rule, Scorecard, ScorecardScore
from bot.errors import CallError
from bot.scorecards import ScorecardDetail, ScorecardSummary, ServiceScorecards, Standing
from handlers.common import ids
from handlers.common.blocks import (
    HEADER_TEXT_LIMIT,
    button,
    context,
    cortex_app_url,
    escaped,
    fitted,
    older_data_note,
    plural,
    section,
    trimmed,
)

# Room inside one section (3,000 characters) for each part of a scorecard's answer.
HEADING_ROOM = 300
FAILED_ROOM = 1_500
NEXT_STEPS_ROOM = 1_000
RULE_LABEL_ROOM = 150
RULE_DESCRIPTION_ROOM = 300
DESCRIPTION_ROOM = 300
MODAL_TITLE = "Scorecards"


def scorecard_url(cortex_api_url: str, scorecard_id: int) -> str:
    """The scorecard's page in the Cortex app, which addresses scorecards by their numeric id."""
    return cortex_app_url(cortex_api_url, f"/admin/scorecards/{scorecard_id}")


def _open_in_cortex(cortex_api_url: str, scorecard_id: int) -> ButtonElement:
    url = scorecard_url(cortex_api_url, scorecard_id)
    return button("Open in Cortex", ids.OPEN_SCORECARD, url=url)


def _standing(level: str | None, percentage: float) -> str:
    return f"{escaped(level) if level else '_no level_'} · {percentage:.0%}"


def _rule(rule: Rule) -> str:
    line = f"• {escaped(trimmed(rule.label, RULE_LABEL_ROOM))}"
    if rule.description:
        line += f" — _{escaped(trimmed(rule.description, RULE_DESCRIPTION_ROOM))}_"
    return line


# --- one service across its scorecards (`/cortex scores`) --------------------------------------


def scores_blocks(found: ServiceScorecards, cortex_api_url: str) -> list[Block]:
    entity = found.entity
    count = len(found.details) + len(found.more)
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=trimmed(f"Scorecards of {entity.name}", HEADER_TEXT_LIMIT))
        ),
        context(f"`{escaped(entity.tag)}` · {plural(count, 'scorecard')}, lowest score first"),
    ]
    if not count:
        return [*blocks, section(f"*{escaped(entity.name)}* is on no scorecard in Cortex.")]
    blocks += [_detail_block(detail, cortex_api_url) for detail in found.details]
    if found.more:
        blocks.append(context("Also: " + " · ".join(_score_line(score) for score in found.more)))
    notes = [f"the scorecards' rules: {escaped(error.detail)}" for error in found.problems]
    if found.stale_because is not None:
        notes.insert(0, older_data_note(found.stale_because, "some of this"))
    if notes:
        blocks.append(context(":warning: " + "; ".join(notes)))
    return blocks


def _score_line(score: ScorecardScore) -> str:
    return f"{escaped(score.scorecard_name)}: {_standing(score.level, score.score_percentage)}"


def _detail_block(detail: ScorecardDetail, cortex_api_url: str) -> SectionBlock:
    score = detail.score
    points = f"{score.score:g} of {score.total_possible_score:g} points"
    parts = [trimmed(f"*{_score_line(score)}* ({points})", HEADING_ROOM)]
    if detail.failed_rules:
        failed = [_rule(rule) for rule in detail.failed_rules]
        heading = f"Fails {plural(len(failed), 'rule')}:"
        parts.append(f"{heading}\n{fitted(failed, FAILED_ROOM - len(heading))}")
    elif detail.scorecard is not None and not detail.problems:
        parts.append("Passes every rule.")
    for step in detail.next_steps:
        level = step.next_level.level if step.next_level else None
        if level is None or not step.rules_to_complete:
            continue
        heading = f"To reach *{escaped(level.name)}*:"
        steps = [_rule(rule) for rule in step.rules_to_complete]
        parts.append(f"{heading}\n{fitted(steps, NEXT_STEPS_ROOM - len(heading))}")
    if detail.problems:
        details = "; ".join(escaped(error.detail) for error in detail.problems)
        parts.append(trimmed(f"_Its rules or next steps could not be read: {details}_", 200))
    return SectionBlock(
        text=MarkdownTextObject(text=trimmed("\n".join(parts))),
        accessory=_open_in_cortex(cortex_api_url, score.scorecard_id),
    )


def scores_modal(blocks: list[Block]) -> View:
    """A service's scorecards over a modal the card was shown in (the lookup shortcut's)."""
    return View(type="modal", title=MODAL_TITLE, close="Close", blocks=blocks)


# --- one scorecard across its services (`/cortex scorecard`) -----------------------------------


def scorecard_blocks(
    summary: ScorecardSummary, cortex_api_url: str, *, stale_because: CallError | None = None
) -> list[Block]:
    card = summary.scorecard
    about = f"`{escaped(card.tag)}` · {plural(summary.services, 'service')}"
    if card.description:
        about += f" · {escaped(trimmed(card.description, DESCRIPTION_ROOM))}"
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=trimmed(card.name, HEADER_TEXT_LIMIT))),
        context(about),
        section("*Services per level*\n" + _per_level(summary)),
        *_failing(summary),
        ActionsBlock(elements=[_open_in_cortex(cortex_api_url, summary.scorecard_id)]),
    ]
    if stale_because is not None:
        blocks.append(context(f":warning: {older_data_note(stale_because, 'this')}."))
    return blocks


def _per_level(summary: ScorecardSummary) -> str:
    counts = [
        f"{escaped(level) if level else '_no level_'}: {count:,}"
        for level, count in summary.per_level
    ]
    return " · ".join(counts) or "_the scorecard has no levels_"


def _failing(summary: ScorecardSummary) -> list[Block]:
    if not summary.services:
        return [section("No service is scored on this scorecard yet.")]
    if not summary.failing:
        return [
            section(f"Every service passes every rule ({plural(summary.services, 'service')}).")
        ]
    blocks: list[Block] = [
        section(f"*{plural(summary.failing, 'service')} failing a rule*, worst first:"),
        *(_standing_block(standing) for standing in summary.worst),
    ]
    left = summary.failing - len(summary.worst)
    if left:
        blocks.append(context(f"…and {left:,} more"))
    return blocks


def _standing_block(standing: Standing) -> SectionBlock:
    line = (
        f"*{escaped(standing.name)}* `{escaped(standing.tag)}` — "
        f"{_standing(standing.level, standing.percentage)} · "
        f"fails {plural(standing.failed_rules, 'rule')}"
    )
    return SectionBlock(
        text=MarkdownTextObject(text=trimmed(line)),
        accessory=button("Scores", ids.SHOW_SCORES, standing.tag),
    )


def scorecard_suggestions(query: str, candidates: Sequence[Scorecard]) -> list[Block]:
    """The answer to a scorecard Cortex does not know: the closest ones, each one click away."""
    lines = [f"No scorecard matches `{escaped(query)}`."]
    if candidates:
        lines.append("Did you mean one of these?")
    return [
        section(" ".join(lines)),
        *(
            SectionBlock(
                text=MarkdownTextObject(
                    text=trimmed(f"*{escaped(card.name)}* `{escaped(card.tag)}`")
                ),
                accessory=button("Open", ids.SHOW_SCORECARD, card.tag),
            )
            for card in candidates
        ),
    ]
