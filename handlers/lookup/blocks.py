"""The service card and the other lookup answers: search results, deploys, on-call."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.cortex.models import Deploy, Entity, EntityDetails, OncallLevel
from bot.oncall import OnCall, OnCallSource
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.blocks import (
    FIELD_TEXT_LIMIT,
    HEADER_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    button,
    context,
    cortex_app_url,
    deploy_line,
    escaped,
    fitted,
    older_data_note,
    oncall_summary,
    section,
    service_buttons,
    trimmed,
)

CARD_DEPLOYS = 5
DEPLOYS_PAGE = 10
SEARCH_RESULTS = 10


def cortex_web_url(cortex_api_url: str, tag: str) -> str:
    """The entity's page in the Cortex app."""
    return cortex_app_url(cortex_api_url, f"/admin/service/{quote(tag, safe='')}")


def _owners(entity: EntityDetails) -> str:
    teams = [escaped(team.name or team.tag) for team in entity.owners.teams]
    people = [escaped(person.email) for person in entity.owners.individuals]
    return ", ".join(teams + people) or "_no owners in Cortex_"


def _channels(entity: EntityDetails) -> str:
    # Cortex knows channel names, not IDs; Slack's redirect link opens a channel by name.
    links = [
        f"<https://slack.com/app_redirect?channel={quote(channel.name)}|#{escaped(channel.name)}>"
        for channel in entity.slack_channels
    ]
    return ", ".join(links) or "_none_"


def _scorecards(snapshot: ServiceSnapshot) -> SectionBlock:
    """The scorecard levels, with a button to what the service fails (`/cortex scores`)."""
    heading = "*Scorecards*\n"
    lines = [
        f"{escaped(score.scorecard_name)}: "
        f"{escaped(score.level) if score.level else f'{score.score_percentage:.0%}'}"
        for score in snapshot.scores
    ]
    if not lines:
        return section(heading + "_none_")
    text = MarkdownTextObject(text=heading + fitted(lines, SECTION_TEXT_LIMIT - len(heading)))
    scores = button("Rules and next steps", ids.SHOW_SCORES, snapshot.entity.tag)
    return SectionBlock(text=text, accessory=scores)


def _field(title: str, value: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=trimmed(f"*{title}*\n{value}", FIELD_TEXT_LIMIT))


def _notes(snapshot: ServiceSnapshot) -> list[Block]:
    notes = [f"{part}: {error.detail}" for part, error in snapshot.problems.items()]
    if snapshot.stale_because is not None:
        notes.insert(0, older_data_note(snapshot.stale_because, "some of this card"))
    return [context(":warning: " + escaped("; ".join(notes)))] if notes else []


def service_card(snapshot: ServiceSnapshot, cortex_api_url: str) -> list[Block]:
    entity = snapshot.entity
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=trimmed(entity.name, HEADER_TEXT_LIMIT))),
        context(f"`{escaped(entity.tag)}` · {escaped(entity.type)}"),
    ]
    if entity.description:
        blocks.append(section(escaped(entity.description)))
    blocks.append(
        SectionBlock(
            fields=[
                _field("Owners", _owners(entity)),
                _field("On call now", oncall_summary(snapshot.oncall)),
                _field("Slack", _channels(entity)),
                _field("Dependencies", str(len(snapshot.dependencies))),
            ]
        )
    )
    blocks.append(_scorecards(snapshot))
    if entity.links:
        links = [f"<{link.url}|{escaped(link.name)}>" for link in entity.links]
        blocks.append(section("*Links*\n" + " · ".join(links)))
    recent = snapshot.deploys[:CARD_DEPLOYS]
    lines = "\n".join(f"• {deploy_line(deploy)}" for deploy in recent) or "_no deploys recorded_"
    blocks.append(section(f"*Last deploys*\n{lines}"))
    blocks += _notes(snapshot)
    blocks.append(
        ActionsBlock(
            elements=[
                button("Record deploy", ids.RECORD_DEPLOY, entity.tag, style="primary"),
                button("Add event", ids.ADD_EVENT, entity.tag),
                button("More deploys", ids.MORE_DEPLOYS, f"{entity.tag}|0"),
                button(
                    "Open in Cortex",
                    ids.OPEN_IN_CORTEX,
                    url=cortex_web_url(cortex_api_url, entity.tag),
                ),
            ]
        )
    )
    return blocks


def search_results(words: str, matches: Sequence[Entity]) -> list[Block]:
    if not matches:
        return [section(f"No service matches `{escaped(words)}`.")]
    heading = section(f"Services matching `{escaped(words)}`:")
    return [heading, *service_buttons(matches[:SEARCH_RESULTS])]


def deploys_page(entity: Entity, deploys: Sequence[Deploy], offset: int) -> list[Block]:
    page = deploys[offset : offset + DEPLOYS_PAGE]
    if not page:
        return [section(f"No deploys of *{escaped(entity.name)}* are recorded in Cortex.")]
    blocks: list[Block] = [
        section(
            f"*Deploys of {escaped(entity.name)}* (`{escaped(entity.tag)}`), newest first: "
            f"{offset + 1} to {offset + len(page)} of {len(deploys)}"
        ),
        DividerBlock(),
        *(section(deploy_line(deploy)) for deploy in page),
    ]
    if offset + DEPLOYS_PAGE < len(deploys):
        more = button("More", ids.MORE_DEPLOYS, f"{entity.tag}|{offset + DEPLOYS_PAGE}")
        blocks.append(ActionsBlock(elements=[more]))
    return blocks


def oncall_blocks(entity: Entity, oncall: OnCall) -> list[Block]:
    name = escaped(entity.name)
    if oncall.source is None:
        return [section(_nobody_knows(name, oncall))]
    if not oncall.levels:
        return [section(f"Nobody is on call for *{name}* right now, according to {oncall.source}.")]
    lines = [
        f"*Level {level.level}* ({escaped(_provider(oncall.source, level))}): "
        + (", ".join(_person(user.name, user.email) for user in level.users) or "_nobody_")
        for level in oncall.levels
    ]
    return [section(f"*On call for {name}* now, from {oncall.source}\n" + "\n".join(lines))]


def _nobody_knows(name: str, oncall: OnCall) -> str:
    if OnCallSource.ROOTLY in oncall.asked:
        return (
            f"Neither Cortex nor Rootly knows who is on call for *{name}*: it has no on-call "
            "integration in Cortex, and Rootly pages nobody for it or its owner teams."
        )
    return (
        f"*{name}* has no on-call integration registered in Cortex "
        "(PagerDuty, Opsgenie, VictorOps or xMatters), and Rootly is not connected."
    )


def _provider(source: OnCallSource, level: OncallLevel) -> str:
    # Cortex names the integration (PAGERDUTY); Rootly names the escalation policy, as written.
    return level.provider.title() if source is OnCallSource.CORTEX else level.provider


def _person(name: str, email: str | None) -> str:
    return f"{escaped(name)} ({escaped(email)})" if email else escaped(name)
