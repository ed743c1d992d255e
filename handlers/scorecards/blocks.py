"""The scorecard answers: one service across its scorecards, one scorecard across its services.

Both stay within one message however much Cortex says: at most 10 scorecards and 20 services are
shown one per block, and every list inside a block is cut to Slack's 3,000 characters with a count
of what was left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, ButtonElement, SectionBlock
from slack_sdk.models.views import View

from bot.cortex.models import Rule, Scorecard, ScorecardScore
from bot.errors import CallError
from bot.scorecards import ScorecardDetail, ScorecardSummary, ServiceScorecards, Standing
from handlers.common import ids
from handlers.common.blocks import cortex_app_url, named, older_data_note
from handlers.common.kit import actions, button, context, fitted, header, modal, section
from handlers.common.mrkdwn import Mrkdwn, cut, plural

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


def _open_in_cortex(cortex_api_url: str, scorecard_id: int) -> ButtonElement | None:
    url = scorecard_url(cortex_api_url, scorecard_id)
    return button("Open in Cortex", ids.OPEN_SCORECARD, url=url)


def _standing(level: str | None, percentage: float) -> Mrkdwn:
    return Mrkdwn("{} · {:.0%}").format(level or Mrkdwn("_no level_"), percentage)


def _rule(rule: Rule) -> Mrkdwn:
    line = Mrkdwn("• {}").format(cut(rule.label, RULE_LABEL_ROOM))
    if rule.description:
        line += Mrkdwn(" — _{}_").format(cut(rule.description, RULE_DESCRIPTION_ROOM))
    return line


# --- one service across its scorecards (`/cortex scores`) --------------------------------------


def scores_blocks(found: ServiceScorecards, cortex_api_url: str) -> list[Block]:
    entity = found.entity
    count = len(found.details) + len(found.more)
    blocks: list[Block] = [
        header(f"Scorecards of {entity.name}"),
        context(
            Mrkdwn("`{}` · {}, lowest score first").format(entity.tag, plural(count, "scorecard"))
        ),
    ]
    if not count:
        none = Mrkdwn("*{}* is on no scorecard in Cortex.").format(entity.name)
        return [*blocks, section(none)]
    blocks += [_detail_block(detail, cortex_api_url) for detail in found.details]
    if found.more:
        also = Mrkdwn(" · ").join(_score_line(score) for score in found.more)
        blocks.append(context(Mrkdwn("Also: {}").format(also)))
    notes = [Mrkdwn("the scorecards' rules: {}").format(error.detail) for error in found.problems]
    if found.stale_because is not None:
        notes.insert(0, older_data_note(found.stale_because, "some of this"))
    if notes:
        blocks.append(context(Mrkdwn(":warning: {}").format(Mrkdwn("; ").join(notes))))
    return blocks


def _score_line(score: ScorecardScore) -> Mrkdwn:
    return Mrkdwn("{}: {}").format(
        score.scorecard_name, _standing(score.level, score.score_percentage)
    )


def _detail_block(detail: ScorecardDetail, cortex_api_url: str) -> SectionBlock:
    score = detail.score
    points = f"{score.score:g} of {score.total_possible_score:g} points"
    parts = [cut(Mrkdwn("*{}* ({})").format(_score_line(score), points), HEADING_ROOM)]
    if detail.failed_rules:
        failed = [_rule(rule) for rule in detail.failed_rules]
        heading = Mrkdwn("Fails {}:").format(plural(len(failed), "rule"))
        parts.append(Mrkdwn("{}\n{}").format(heading, fitted(failed, FAILED_ROOM - len(heading))))
    elif detail.scorecard is not None and not detail.problems:
        parts.append(Mrkdwn("Passes every rule."))
    for step in detail.next_steps:
        level = step.next_level.level if step.next_level else None
        if level is None or not step.rules_to_complete:
            continue
        heading = Mrkdwn("To reach *{}*:").format(level.name)
        steps = [_rule(rule) for rule in step.rules_to_complete]
        parts.append(
            Mrkdwn("{}\n{}").format(heading, fitted(steps, NEXT_STEPS_ROOM - len(heading)))
        )
    if detail.problems:
        details = "; ".join(error.detail for error in detail.problems)
        unread = Mrkdwn("_Its rules or next steps could not be read: {}_").format(details)
        parts.append(cut(unread, 200))
    return section(
        Mrkdwn("\n").join(parts), accessory=_open_in_cortex(cortex_api_url, score.scorecard_id)
    )


def scores_modal(blocks: Sequence[Block]) -> View:
    """A service's scorecards over a modal the card was shown in (the lookup shortcut's)."""
    return modal(ids.SCORES_VIEW, MODAL_TITLE, blocks)


# --- one scorecard across its services (`/cortex scorecard`) -----------------------------------


def scorecard_blocks(
    summary: ScorecardSummary, cortex_api_url: str, *, stale_because: CallError | None = None
) -> list[Block]:
    card = summary.scorecard
    about = Mrkdwn("`{}` · {}").format(card.tag, plural(summary.services, "service"))
    if card.description:
        about += Mrkdwn(" · {}").format(cut(card.description, DESCRIPTION_ROOM))
    blocks: list[Block] = [
        header(card.name, otherwise=card.tag),
        context(about),
        section(Mrkdwn("*Services per level*\n{}").format(_per_level(summary))),
        *_failing(summary),
        *actions(_open_in_cortex(cortex_api_url, summary.scorecard_id)),
    ]
    if stale_because is not None:
        blocks.append(
            context(Mrkdwn(":warning: {}.").format(older_data_note(stale_because, "this")))
        )
    return blocks


def _per_level(summary: ScorecardSummary) -> Mrkdwn:
    counts = [
        Mrkdwn("{}: {:,}").format(level or Mrkdwn("_no level_"), count)
        for level, count in summary.per_level
    ]
    return Mrkdwn(" · ").join(counts) or Mrkdwn("_the scorecard has no levels_")


def _failing(summary: ScorecardSummary) -> list[Block]:
    if not summary.services:
        return [section(Mrkdwn("No service is scored on this scorecard yet."))]
    if not summary.failing:
        every = Mrkdwn("Every service passes every rule ({}).")
        return [section(every.format(plural(summary.services, "service")))]
    failing = Mrkdwn("*{} failing a rule*, worst first:").format(plural(summary.failing, "service"))
    blocks: list[Block] = [
        section(failing),
        *(_standing_block(standing) for standing in summary.worst),
    ]
    left = summary.failing - len(summary.worst)
    if left:
        blocks.append(context(Mrkdwn("…and {:,} more").format(left)))
    return blocks


def _standing_block(standing: Standing) -> SectionBlock:
    line = Mrkdwn("{} — {} · fails {}").format(
        named(standing.name, standing.tag),
        _standing(standing.level, standing.percentage),
        plural(standing.failed_rules, "rule"),
    )
    return section(line, accessory=button("Scores", ids.SHOW_SCORES, standing.tag))


def scorecard_suggestions(query: str, candidates: Sequence[Scorecard]) -> list[Block]:
    """The answer to a scorecard Cortex does not know: the closest ones, each one click away."""
    said = [Mrkdwn("No scorecard matches `{}`.").format(query)]
    if candidates:
        said.append(Mrkdwn("Did you mean one of these?"))
    return [
        section(Mrkdwn(" ").join(said)),
        *(
            section(
                named(card.name, card.tag),
                accessory=button("Open", ids.SHOW_SCORECARD, card.tag),
            )
            for card in candidates
        ),
    ]
