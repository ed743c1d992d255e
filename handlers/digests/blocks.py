"""Digests in Slack: the digest itself, the schedule answers, the channel's list.

A digest is posted as a summary that fits on one screen, with the details in a thread under it.
The summary gives the counts (each kind once: a rollback is not also a deploy), then what needs eyes
first (rollbacks and changes to production, grouped by owner team, one short line per service),
the catalog's changes, how much else happened, and last the Rootly sync's result. The thread lists
every service with activity, those with rollbacks or production changes first, each with its
deploys (production first, every environment named) and custom events, in as many replies as
Slack's limits need, up to a cap; when that leaves services out, a plain-text file in the thread
holds every detail.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from slack_sdk.models.blocks import Block

from bot.cortex.models import CustomEvent, Deploy, DeployType, Entity
from bot.digests import Digest, DigestContent, ServiceActivity
from bot.digests.environments import environment_order
from bot.sync.report import count_phrases
from handlers.common import ids
from handlers.common.blocks import by_whom, marked_deploy_line, named
from handlers.common.context import TextFile
from handlers.common.errors import slack_refusal
from handlers.common.home import digest_schedule, next_post, scope_text
from handlers.common.kit import (
    MESSAGE_BLOCKS,
    MESSAGE_BUDGET,
    SECTION_TEXT,
    Confirm,
    Message,
    button,
    context,
    fitted,
    section,
    weight,
)
from handlers.common.mrkdwn import (
    Mrkdwn,
    channel_link,
    cut,
    link,
    mention,
    moment,
    plural,
    utc_text,
)

# The summary fits on one screen: so many owner teams, so many services each, in so much room,
# and so much room for the catalog's changes and for a title.
EYES_TEAMS = 5
TEAM_LINES = 2
EYES_ROOM = 1_800
CATALOG_ROOM = 300
TITLE_ROOM = 60
NO_TEAM = "No owner team"
# The thread: a service's first lines, several services to a section, at most so many replies.
LINES_PER_SERVICE = 10
MAX_REPLIES = 5
# The channel's list of digests: so many of them, the rest counted.
MAX_LISTED = 40

_Item = TypeVar("_Item")


def _title(frequency: str | None) -> str:
    return f"{frequency.capitalize()} digest" if frequency else "Digest"


@dataclass(frozen=True)
class DigestPost:
    """A digest as posted: the summary in the channel, the details as replies in its thread, and
    a file after them in the thread when the replies could not hold every service."""

    summary: Message
    details: tuple[Message, ...] = ()
    file: TextFile | None = None


def digest_post(content: DigestContent, frequency: str | None = None) -> DigestPost:
    """The summary, and a thread when the summary does not say everything."""
    summary = _summary(content, frequency)
    if not (content.activity or content.unreadable) and _catalog_fits(content):
        return DigestPost(summary)
    details, whole = _details(content, frequency)
    return DigestPost(summary, details, None if whole else details_file(content, frequency))


# --- the summary ---------------------------------------------------------------------------------


def _counts(content: DigestContent) -> list[Mrkdwn]:
    counted = [
        (content.deploys, "deploy"),
        (content.rollbacks, "rollback"),
        (content.events, "custom event"),
        (len(content.created), "new service"),
        (len(content.archived), "archived service"),
    ]
    return [plural(count, noun) for count, noun in counted if count]


def _heading(content: DigestContent, frequency: str | None) -> Mrkdwn:
    return Mrkdwn("*{}* · {} ({}) · since {}").format(
        _title(frequency),
        scope_text(content.scope),
        plural(content.in_scope, "service"),
        moment(content.window.start),
    )


def _team(entity: Entity) -> str:
    teams = entity.owners.teams
    return (teams[0].name or teams[0].tag) if teams else NO_TEAM


def _eyes_line(service: ServiceActivity) -> Mrkdwn:
    """One short line: the service's latest rollback, else its latest production change, and
    how many more of those it had."""
    changes = sorted(
        service.needing_eyes, key=lambda deploy: deploy.type is not DeployType.ROLLBACK
    )
    first, more = changes[0], len(changes) - 1
    rolled_back = first.type is DeployType.ROLLBACK
    where = (
        Mrkdwn(" {} *{}*").format("in" if rolled_back else "to", cut(first.environment, TITLE_ROOM))
        if first.environment
        else ""
    )
    also = Mrkdwn(" _(+{} more)_").format(more) if more else ""
    return Mrkdwn("{} *{}* {}{}: {} by {}{}").format(
        ":rewind:" if rolled_back else ":rocket:",
        cut(service.entity.name, TITLE_ROOM),
        "rolled back" if rolled_back else "deployed",
        where,
        cut(first.title, TITLE_ROOM),
        cut(by_whom(first), TITLE_ROOM),
        also,
    )


def _team_lines(team: str, services: Sequence[ServiceActivity]) -> list[Mrkdwn]:
    """The team, how many of its services need eyes, and the first few (all are in the thread)."""
    rollbacks = sum(service.rollbacks for service in services)
    counts = [plural(len(services), "service")]
    counts += [plural(rollbacks, "rollback")] if rollbacks else []
    heading = Mrkdwn("*{}* — {}").format(cut(team, TITLE_ROOM), Mrkdwn(", ").join(counts))
    first = sorted(services, key=lambda service: not service.rollbacks)
    return [heading, *(_eyes_line(service) for service in first[:TEAM_LINES])]


def _needing_eyes(content: DigestContent) -> list[Block]:
    """Rollbacks and production changes by owner team: teams with rollbacks first, then the
    busiest; a few services each, the rest counted (all of them are in the thread)."""
    by_team: dict[str, list[ServiceActivity]] = {}
    for service in content.activity:
        if service.needing_eyes:
            by_team.setdefault(_team(service.entity), []).append(service)
    if not by_team:
        return []

    def rank(team: str) -> tuple[int, int, bool, str]:
        found = by_team[team]
        rollbacks = sum(service.rollbacks for service in found)
        return (-rollbacks, -len(found), team == NO_TEAM, team.lower())

    teams = sorted(by_team, key=rank)
    lines = [line for team in teams[:EYES_TEAMS] for line in _team_lines(team, by_team[team])]
    rest = teams[EYES_TEAMS:]
    if rest:
        services = sum(len(by_team[team]) for team in rest)
        lines.append(
            Mrkdwn("…and {} ({})").format(
                plural(len(rest), "more team"), plural(services, "service")
            )
        )
    title = Mrkdwn("*Needs eyes first: rollbacks and production changes*")
    return [section(Mrkdwn("{}\n{}").format(title, fitted(lines, EYES_ROOM)))]


def _names(entities: Sequence[Entity]) -> Mrkdwn:
    return Mrkdwn(", ").join(entity.name or entity.tag for entity in entities)


def _catalog_lines(content: DigestContent) -> list[Mrkdwn]:
    return [
        Mrkdwn("*{}:* {}").format(title, _names(entities))
        for title, entities in (("New", content.created), ("Archived", content.archived))
        if entities
    ]


def _catalog(content: DigestContent) -> Mrkdwn:
    return Mrkdwn(" · ").join(_catalog_lines(content))


def _catalog_fits(content: DigestContent) -> bool:
    """Whether the summary names every new and archived service (if not, the thread does)."""
    return len(_catalog(content)) <= CATALOG_ROOM


def _catalog_changes(content: DigestContent) -> list[Block]:
    said = _catalog(content)
    return [section(cut(said, CATALOG_ROOM))] if said else []


def _elsewhere(content: DigestContent) -> list[Block]:
    """What the summary did not list, how much of it, and where it is."""
    in_thread = []
    if content.activity:
        in_thread.append(Mrkdwn("every service with activity ({:,})").format(len(content.activity)))
    if not _catalog_fits(content):
        in_thread.append(Mrkdwn("every new and archived service"))
    if not in_thread:
        return []
    other = sum(len(service.deploys) - len(service.needing_eyes) for service in content.activity)
    said = [Mrkdwn("{} outside production").format(plural(other, "deploy"))] if other else []
    said += [plural(content.events, "custom event")] if content.events else []
    where = Mrkdwn("{} {} in the thread").format(
        Mrkdwn(" and ").join(in_thread), "are" if len(in_thread) > 1 else "is"
    )
    if not said:
        return [context(Mrkdwn(":thread: Details: {}.").format(where))]
    return [context(Mrkdwn(":thread: Also {}: {}.").format(Mrkdwn(" and ").join(said), where))]


def _notes(content: DigestContent) -> list[Block]:
    notes = []
    if content.unreadable:
        notes.append(
            Mrkdwn("Cortex did not tell the activity of {} (named in the thread)").format(
                plural(len(content.unreadable), "service")
            )
        )
    if content.stale:
        notes.append(Mrkdwn("Cortex was not answering; some of this is older cached data"))
    return [context(Mrkdwn(":warning: {}").format(Mrkdwn("; ").join(notes)))] if notes else []


def _last_sync(content: DigestContent) -> list[Block]:
    report = content.last_sync
    if report is None:
        return []
    counts = ", ".join(count_phrases(report)) or "nothing to sync"
    line = Mrkdwn("Last Rootly sync {}: {} — {}").format(
        moment(report.finished_at), report.status.value, counts
    )
    return [context(line)]


def _summary(content: DigestContent, frequency: str | None) -> Message:
    heading = _heading(content, frequency)
    if not content.has_news:
        text = Mrkdwn("{}: nothing new — no deploys, custom events or catalog changes.").format(
            heading
        )
        return Message(text, [section(text)])
    counts = Mrkdwn(" · ").join(_counts(content)) or Mrkdwn("no deploys or custom events")
    blocks: list[Block] = [
        section(Mrkdwn("{}\n{}").format(heading, counts)),
        *_needing_eyes(content),
        *_catalog_changes(content),
        *_elsewhere(content),
        *_notes(content),
        *_last_sync(content),
    ]
    return Message(Mrkdwn("{}: {}").format(_title(frequency), counts), blocks)


# --- the thread ----------------------------------------------------------------------------------


def _deploy(deploy: Deploy) -> Mrkdwn:
    return Mrkdwn("• {}").format(marked_deploy_line(deploy))


def _event(event: CustomEvent) -> Mrkdwn:
    return Mrkdwn("• :pushpin: {} ({}), {}").format(
        link(event.url, event.title), event.type, moment(event.timestamp)
    )


def _service_counts(service: ServiceActivity) -> Mrkdwn:
    counted = [
        (service.forward_deploys, "deploy"),
        (service.rollbacks, "rollback"),
        (len(service.events), "event"),
    ]
    return Mrkdwn(", ").join(plural(count, noun) for count, noun in counted if count)


def _production_first(service: ServiceActivity) -> list[Deploy]:
    """Production first, each environment newest first (the deploys come newest first)."""
    return sorted(service.deploys, key=lambda deploy: environment_order(deploy.environment))


def _needing_eyes_first(content: DigestContent) -> list[ServiceActivity]:
    """Services with rollbacks or production changes first, however recent the others."""
    return sorted(content.activity, key=lambda service: not service.needing_eyes)


def _service_text(service: ServiceActivity) -> Mrkdwn:
    heading = Mrkdwn("{} — {}").format(
        named(service.entity.name, service.entity.tag), _service_counts(service)
    )
    lines = [*map(_deploy, _production_first(service)), *map(_event, service.events)]
    body = fitted(lines, SECTION_TEXT - len(heading) - 1, LINES_PER_SERVICE)
    return Mrkdwn("{}\n{}").format(heading, body)


def _packed(
    items: Sequence[_Item], size: Callable[[_Item], int], room: int, most: int | None = None
) -> list[list[_Item]]:
    """The items in order, in groups of at most `most` whose sizes add up to at most `room` (an
    item bigger than that alone in its group)."""
    groups: list[list[_Item]] = []
    used = room
    for item in items:
        if used + size(item) > room or len(groups[-1]) == most:
            groups.append([])
            used = 0
        groups[-1].append(item)
        used += size(item)
    return groups


def _left_out(services: int) -> Block:
    """The last reply's last line when the replies could not hold everything: the file shared
    after them holds it all."""
    if not services:  # only new, archived or unreadable services
        return context(Mrkdwn("…and the rest: all of it is in the file below"))
    return context(
        Mrkdwn("…and {}: every one is in the file below").format(plural(services, "more service"))
    )


def _details(content: DigestContent, frequency: str | None) -> tuple[tuple[Message, ...], bool]:
    """Several services to a section, as many sections to a reply as Slack takes (in blocks and
    in text together), the last reply shown saying how many services it had no room for; and
    whether the replies hold everything."""
    first = _needing_eyes_first(content)
    texts = [_service_text(service) for service in first] + _catalog_lines(content)
    if content.unreadable:
        tags = Mrkdwn(", ").join(Mrkdwn("`{}`").format(s.entity.tag) for s in content.unreadable)
        texts.append(Mrkdwn("*Cortex did not tell the activity of:* {}").format(tags))
    # A section joins its texts with blank lines: each takes two characters more.
    cuts = [cut(text, SECTION_TEXT) for text in texts]
    groups = _packed(cuts, lambda text: len(text) + 2, SECTION_TEXT + 2)
    sections = [(section(Mrkdwn("\n\n").join(group)), len(group)) for group in groups]
    # Every reply keeps room for the line saying what was left out, at its longest.
    replies = _packed(
        sections,
        lambda built: weight(built[0]),
        MESSAGE_BUDGET - weight(_left_out(len(texts))),
        MESSAGE_BLOCKS - 1,
    )
    shown: list[list[Block]] = [[block for block, _ in reply] for reply in replies[:MAX_REPLIES]]
    listed = sum(count for reply in replies[:MAX_REPLIES] for _, count in reply)
    whole = listed == len(texts)
    if not whole:
        shown[-1].append(_left_out(max(len(first) - listed, 0)))
    text = Mrkdwn("{}: the details").format(_title(frequency))
    return tuple(Message(text, reply) for reply in shown), whole


# --- the file with every detail ------------------------------------------------------------------


def details_file(content: DigestContent, frequency: str | None = None) -> TextFile:
    end = content.window.end.astimezone(UTC).strftime("%Y-%m-%d-%H%M")
    return TextFile(
        name=f"digest-{end}.txt",
        title=f"{_title(frequency)}: every service's details",
        content=details_text(content, frequency),
    )


def details_text(content: DigestContent, frequency: str | None = None) -> str:
    """Everything the thread lists, as plain text and nothing cut: every service with activity
    (those needing eyes first), each with its deploys and custom events, then the new, archived
    and unreadable services."""
    window = f"{utc_text(content.window.start)} to {utc_text(content.window.end)}"
    counts = " · ".join(_counts(content)) or "no deploys or custom events"
    lines = [f"{_title(frequency)}, {window}: {counts}."]
    services = _needing_eyes_first(content)
    if services:
        lines += ["", f"Services with activity ({len(services):,}), those needing eyes first"]
    for service in services:
        entity = service.entity
        lines += ["", f"{_plain(entity.name)} ({_plain(entity.tag)}): {_service_counts(service)}"]
        lines += [f"  - {_deploy_words(deploy)}" for deploy in _production_first(service)]
        lines += [f"  - {_event_words(event)}" for event in service.events]
    lines += _listed("New services", [_entity_words(entity) for entity in content.created])
    lines += _listed("Archived services", [_entity_words(entity) for entity in content.archived])
    unreadable = [_entity_words(s.entity, s.problem) for s in content.unreadable]
    lines += _listed("Cortex did not tell the activity of", unreadable)
    return "\n".join(lines) + "\n"


def _plain(text: str | None) -> str:
    """Cortex's text on one line, without control characters (a title's newline or a terminal
    escape would break the file's layout)."""
    spaced = " ".join((text or "").split())
    return "".join(char for char in spaced if unicodedata.category(char) != "Cc")


def _when_and_link(when: datetime, url: str | None) -> str:
    return f"{utc_text(when)}, {_plain(url)}" if url else utc_text(when)


def _deploy_words(deploy: Deploy) -> str:
    kind = "ROLLBACK" if deploy.type is DeployType.ROLLBACK else deploy.type.lower()
    where = _plain(deploy.environment) or "no environment"
    sha = f" (sha {_plain(deploy.sha)[:10]})" if deploy.sha else ""
    said = f"{_plain(deploy.title)}{sha} by {_plain(by_whom(deploy))}"
    return f"{kind}, {where}: {said}, {_when_and_link(deploy.timestamp, deploy.url)}"


def _event_words(event: CustomEvent) -> str:
    said = f"{_plain(event.type)}: {_plain(event.title)}"
    return f"event {said}, {_when_and_link(event.timestamp, event.url)}"


def _entity_words(entity: Entity, note: str | None = None) -> str:
    said = f"{_plain(entity.tag)}  {_plain(entity.name)}"
    return f"{said} ({_plain(note)})" if note else said


def _listed(title: str, lines: Sequence[str]) -> list[str]:
    return ["", f"{title} ({len(lines):,})", *(f"  {line}" for line in lines)] if lines else []


# --- scheduling, the channel's list --------------------------------------------------------------


def scheduled_message(digest: Digest, in_scope: int, user_id: str) -> Message:
    text = Mrkdwn(
        "{} scheduled a {} in this channel ({} in scope now); the first one is {}."
    ).format(
        mention(user_id), digest_schedule(digest), plural(in_scope, "service"), next_post(digest)
    )
    return Message(text, [section(text)])


def list_message(digests: Sequence[Digest], slash: str) -> Message:
    """This channel's digests, each with a button to delete it."""
    if not digests:
        text = Mrkdwn(
            "No digests are scheduled in this channel. `{} digest daily` schedules one."
        ).format(slash)
        return Message(text, [section(text)])
    blocks: list[Block] = [
        section(
            Mrkdwn("*{}*\n{} · set by {}").format(
                digest_schedule(digest), next_post(digest), mention(digest.created_by)
            ),
            accessory=button(
                "Delete",
                ids.DIGEST_DELETE,
                digest.id,
                style="danger",
                confirm=Confirm(
                    title="Delete this digest?",
                    text=Mrkdwn("The digest ({}) will no longer be posted in this channel.").format(
                        digest_schedule(digest)
                    ),
                    yes="Delete",
                ),
            ),
        )
        for digest in digests[:MAX_LISTED]
    ]
    if len(digests) > MAX_LISTED:
        blocks.append(context(Mrkdwn("…and {:,} more").format(len(digests) - MAX_LISTED)))
    text = Mrkdwn("{} scheduled in this channel").format(plural(len(digests), "digest"))
    return Message(text, blocks)


def removed_message(removed: Sequence[Digest], user_id: str) -> Message:
    if not removed:
        text = Mrkdwn("No digests were scheduled in this channel.")
    else:
        listed = Mrkdwn("; ").join(digest_schedule(digest) for digest in removed)
        text = Mrkdwn("{} turned off {} here: {}.").format(
            mention(user_id), plural(len(removed), "digest"), listed
        )
    return Message(text, [section(text)])


def channel_gone_text(digest: Digest, slack_error: str, slash: str) -> Mrkdwn:
    """What the creator of a digest is told when its channel can no longer be posted in."""
    return Mrkdwn(
        "I could not post your {} in {} ({}), so I turned it off. Once I can post there, "
        "schedule it again with `{} digest`."
    ).format(
        digest_schedule(digest),
        channel_link(digest.channel_id),
        slack_refusal(slack_error),
        slash,
    )


def cannot_post_message(slack_error: str) -> Message:
    text = Mrkdwn("I cannot post the digest in this channel: {}.").format(
        slack_refusal(slack_error)
    )
    return Message(text, [section(text)])
