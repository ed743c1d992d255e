"""The incident context as the modal and the channel summary show it: what matters in the first
minute. Each picked service takes one block (two when a part of it could not be read), then what
changed in the last 24 hours is one timeline over all of them, newest first, deploys and events
interleaved, rollbacks marked, at most ten lines and "…and N more". A modal (at most ten services)
stays well under Slack's 100 blocks and a channel summary under 50.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import Block, DividerBlock

from bot.autopilot.context import changes_of
from bot.errors import CallError
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.common.blocks import change_line, named, oncall_summary, owners_line
from handlers.common.errors import user_message
from handlers.common.kit import SECTION_TEXT, Message, context, fitted, header, section
from handlers.common.mrkdwn import Mrkdwn, link
from handlers.common.people import NOBODY_KNOWN, People

RECENT = timedelta(hours=24)
MAX_CHANGES = 10

Snapshots = Mapping[str, ServiceSnapshot | CallError]


def service_context(
    tag: str, known: ServiceSnapshot | CallError, slash: str, people: People
) -> list[Block]:
    if isinstance(known, CallError):
        return [context(Mrkdwn(":warning: `{}`: {}").format(tag, user_message(known, slash)))]
    entity = known.entity
    levels = ", ".join(
        f"{score.scorecard_name} {score.level}" for score in known.scores if score.level
    )
    heading = Mrkdwn("{}{}\nOwners: {}\nOn call: {}").format(
        named(entity.name, entity.tag),
        f" · {levels}" if levels else "",
        owners_line(entity, people),
        oncall_summary(known.oncall, people),
    )
    blocks: list[Block] = [section(heading)]
    if known.problems:
        missing = "; ".join(known.problems)
        blocks.append(context(Mrkdwn(":warning: {} unavailable right now").format(missing)))
    return blocks


def what_changed(tags: Sequence[str], snapshots: Snapshots, now: datetime) -> Mrkdwn:
    """The picked services' deploys and events of the last 24 hours, newest first."""
    changes = sorted(
        (
            change
            for tag in tags
            if isinstance(known := snapshots.get(tag), ServiceSnapshot)
            for change in changes_of(known.entity.tag, known.deploys, known.events)
            if change.when >= now - RECENT
        ),
        key=lambda change: change.when,
        reverse=True,
    )
    if not changes:
        return Mrkdwn("*What changed*: no deploys or events in the last 24 hours.")
    heading = Mrkdwn("*What changed in the last 24 hours*, newest first")
    lines = fitted(
        [change_line(change) for change in changes], SECTION_TEXT - len(heading) - 1, MAX_CHANGES
    )
    return Mrkdwn("\n").join((heading, lines))


def context_blocks(
    tags: Sequence[str],
    snapshots: Snapshots,
    now: datetime,
    slash: str,
    people: People = NOBODY_KNOWN,
) -> list[Block]:
    """Each picked service whose snapshot is known (who is on call mentioned where `people`
    knows them), then what changed in all of them."""
    known = [tag for tag in tags if tag in snapshots]
    if not known:
        return []
    blocks: list[Block] = [DividerBlock()]
    for tag in known:
        blocks += service_context(tag, snapshots[tag], slash, people)
    return [*blocks, DividerBlock(), section(what_changed(known, snapshots, now))]


def incident_line(incident: RootlyIncident) -> Mrkdwn:
    """Under the incident's title: a link to it in Rootly, its status and severity."""
    number = f" #{incident.sequential_id}" if incident.sequential_id else ""
    said = [link(incident.url, f"Rootly incident{number}")]
    if incident.status:
        said.append(Mrkdwn("status *{}*").format(incident.status))
    if incident.severity:
        said.append(Mrkdwn("severity *{}*").format(incident.severity))
    return Mrkdwn(" · ").join(said)


def incident_summary(
    tags: Sequence[str],
    snapshots: Snapshots,
    incident: RootlyIncident | None,
    slash: str,
    people: People = NOBODY_KNOWN,
    now: datetime | None = None,
) -> Message:
    """The context as posted in the channel, the people on call mentioned (so they are
    notified) where `people` knows them."""
    now = now or datetime.now(UTC)
    if incident is None:
        blocks: list[Block] = [header("Incident context")]
        text = Mrkdwn("Incident context")
    else:
        blocks = [header(f"Incident context: {incident.title}"), context(incident_line(incident))]
        text = Mrkdwn("Incident context: {} · {}").format(incident.title, incident_line(incident))
    return Message(text, blocks + context_blocks(tags, snapshots, now, slash, people))
