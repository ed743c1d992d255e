"""The service card and the other lookup answers: search results, deploys, on-call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock

from bot.cortex.models import Deploy, Entity, EntityDetails
from bot.finder import Found
from bot.oncall import OnCall, OnCallSource
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.blocks import (
    cortex_web_url,
    marked_deploy_line,
    older_data_note,
    on_call_person,
    oncall_summary,
    oncall_where,
    owners_line,
    service_row,
    suggestions,
)
from handlers.common.kit import (
    SECTION_TEXT,
    actions,
    button,
    context,
    fields,
    fitted,
    header,
    section,
)
from handlers.common.mrkdwn import Mrkdwn, escaped, link, plural
from handlers.common.people import People

CARD_DEPLOYS = 5
DEPLOYS_PAGE = 10
SEARCH_RESULTS = 10
SHOWN_DEPENDENCIES = 3


def _dependencies(snapshot: ServiceSnapshot, names: Mapping[str, str]) -> Mrkdwn:
    """The first few services it depends on, by name where the catalog knows it, then a count."""
    callees = list(dict.fromkeys(found.callee_tag for found in snapshot.dependencies))
    shown = Mrkdwn(", ").join(
        names.get(tag) or Mrkdwn("`{}`").format(tag) for tag in callees[:SHOWN_DEPENDENCIES]
    )
    more = len(callees) - SHOWN_DEPENDENCIES
    if more > 0:
        return Mrkdwn("{} and {:,} more").format(shown, more)
    return shown or Mrkdwn("_none_")


def _channels(entity: EntityDetails) -> Mrkdwn:
    # Cortex knows channel names, not IDs; Slack's redirect link opens a channel by name.
    links = [
        link(f"https://slack.com/app_redirect?channel={quote(channel.name)}", f"#{channel.name}")
        for channel in entity.slack_channels
    ]
    return Mrkdwn(", ").join(links) or Mrkdwn("_none_")


def _scorecards(snapshot: ServiceSnapshot) -> SectionBlock:
    """The scorecard levels, with a button to what the service fails (`/cortex scores`)."""
    heading = Mrkdwn("*Scorecards*")
    lines = [
        Mrkdwn("{}: {}").format(
            score.scorecard_name, score.level or f"{score.score_percentage:.0%}"
        )
        for score in snapshot.scores
    ]
    if not lines:
        return section(Mrkdwn("{}\n_none_").format(heading))
    listed = fitted(lines, SECTION_TEXT - len(heading) - 1)
    scores = button("Rules and next steps", ids.SHOW_SCORES, snapshot.entity.tag)
    return section(Mrkdwn("{}\n{}").format(heading, listed), accessory=scores)


def _field(title: str, value: Mrkdwn) -> Mrkdwn:
    return Mrkdwn("*{}*\n{}").format(title, value)


def _notes(snapshot: ServiceSnapshot) -> list[Block]:
    notes = [
        Mrkdwn("{}: {}").format(part, error.detail) for part, error in snapshot.problems.items()
    ]
    if snapshot.stale_because is not None:
        notes.insert(0, older_data_note(snapshot.stale_because, "some of this card"))
    return [context(Mrkdwn(":warning: ") + Mrkdwn("; ").join(notes))] if notes else []


def service_card(
    snapshot: ServiceSnapshot, cortex_api_url: str, people: People, names: Mapping[str, str]
) -> list[Block]:
    """The card; `people`: Slack members by email; `names`: service names by tag (its
    dependencies are known by tag)."""
    entity = snapshot.entity
    blocks: list[Block] = [
        header(entity.name, otherwise=entity.tag),
        context(Mrkdwn("`{}` · {}").format(entity.tag, entity.type)),
    ]
    if entity.description and entity.description.strip():
        blocks.append(section(escaped(entity.description)))
    blocks.append(
        fields(
            [
                _field("Owners", owners_line(entity, people)),
                _field("On call now", oncall_summary(snapshot.oncall, people)),
                _field("Slack", _channels(entity)),
                _field("Depends on", _dependencies(snapshot, names)),
            ]
        )
    )
    blocks.append(_scorecards(snapshot))
    if entity.links:
        links = [link(found.url, found.name) for found in entity.links]
        blocks.append(section(Mrkdwn("*Links*\n{}").format(Mrkdwn(" · ").join(links))))
    recent = snapshot.deploys[:CARD_DEPLOYS]
    lines = Mrkdwn("\n").join(Mrkdwn("• {}").format(marked_deploy_line(d)) for d in recent)
    blocks.append(section(Mrkdwn("*Last deploys*\n{}").format(lines or "_no deploys recorded_")))
    blocks += _notes(snapshot)
    blocks += actions(
        button("Record deploy", ids.RECORD_DEPLOY, entity.tag, style="primary"),
        button("Add event", ids.ADD_EVENT, entity.tag),
        button("More deploys", ids.MORE_DEPLOYS, f"{entity.tag}|0"),
        button(
            "Open in Cortex", ids.OPEN_IN_CORTEX, url=cortex_web_url(cortex_api_url, entity.tag)
        ),
    )
    return blocks


def search_results(words: str, found: Found[Entity], offset: int, slash: str) -> list[Block]:
    """A page of what matched, best first, saying how many there are in all ("10 of 37"), with
    *More* while there are more; nothing matched: the closest services, or nothing rather than
    an unrelated one. An offset past the end (a *More* from before the catalog shrank) shows the
    last page."""
    if not found.matches:
        return suggestions(words, found.suggestions, slash)
    total = len(found.matches)
    offset = _within(offset, total, SEARCH_RESULTS)
    page = found.matches[offset : offset + SEARCH_RESULTS]
    shown = (
        Mrkdwn("{}").format(plural(total, "service"))
        if len(page) == total
        else Mrkdwn("{} of {:,} services").format(_range(offset, len(page)), total)
    )
    heading = Mrkdwn("{} {} `{}`:").format(shown, "matches" if total == 1 else "match", words)
    blocks = [section(heading), *(service_row(entity) for entity in page)]
    if offset + SEARCH_RESULTS < total:
        blocks += actions(button("More", ids.MORE_RESULTS, f"{offset + SEARCH_RESULTS}|{words}"))
    return blocks


def _range(offset: int, count: int) -> Mrkdwn:
    """Which results a page holds: "10" for the first, "11 to 20" for the next."""
    if offset == 0:
        return Mrkdwn("{:,}").format(count)
    return Mrkdwn("{:,} to {:,}").format(offset + 1, offset + count)


def _within(offset: int, total: int, size: int) -> int:
    """`offset`, or the start of the last page when it is past the end (a *More* from before the
    list shrank)."""
    return max(0, min(offset, (total - 1) // size * size))


def deploys_page(entity: Entity, deploys: Sequence[Deploy], offset: int) -> list[Block]:
    """A page of a service's deploys, newest first; an offset past the end shows the last page."""
    offset = _within(offset, len(deploys), DEPLOYS_PAGE)
    page = deploys[offset : offset + DEPLOYS_PAGE]
    if not page:
        none = Mrkdwn("No deploys of *{}* are recorded in Cortex.").format(entity.name)
        return [section(none)]
    blocks: list[Block] = [
        section(
            Mrkdwn("*Deploys of {}* (`{}`), newest first: {} to {} of {}").format(
                entity.name, entity.tag, offset + 1, offset + len(page), len(deploys)
            )
        ),
        DividerBlock(),
        *(section(marked_deploy_line(deploy)) for deploy in page),
    ]
    if offset + DEPLOYS_PAGE < len(deploys):
        blocks += actions(button("More", ids.MORE_DEPLOYS, f"{entity.tag}|{offset + DEPLOYS_PAGE}"))
    return blocks


def oncall_blocks(entity: Entity, oncall: OnCall, people: People) -> list[Block]:
    """Who is on call per escalation level: people as mentions, until when, from where."""
    name = entity.name
    if oncall.source is None:
        return [section(_nobody_knows(name, oncall))]
    if not oncall.levels:
        nobody = Mrkdwn("Nobody is on call for *{}* right now, according to {}.")
        return [section(nobody.format(name, oncall.source))]
    lines = [
        Mrkdwn("*Level {}* · {}: {}").format(
            level.level,
            oncall_where(oncall.source, level),
            Mrkdwn(", ").join(on_call_person(user, people, schedule=True) for user in level.users)
            or Mrkdwn("_nobody_"),
        )
        for level in oncall.levels
    ]
    heading = Mrkdwn("*On call for {}* now, from {}").format(name, oncall.source)
    return [section(Mrkdwn("\n").join([heading, *lines]))]


def _nobody_knows(name: str, oncall: OnCall) -> Mrkdwn:
    if OnCallSource.ROOTLY in oncall.asked:
        return Mrkdwn(
            "Neither Cortex nor Rootly knows who is on call for *{}*: it has no on-call "
            "integration in Cortex, and Rootly pages nobody for it or its owner teams."
        ).format(name)
    return Mrkdwn(
        "*{}* has no on-call integration registered in Cortex "
        "(PagerDuty, Opsgenie, VictorOps or xMatters), and Rootly is not connected."
    ).format(name)
