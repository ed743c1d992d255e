"""The incident context, per service, as the modal and the channel summary show it: what matters
right now. Each service takes at most three blocks, so a modal (at most ten services) stays well
under Slack's 100 blocks and a channel summary under 50; long lists end with "and N more".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from slack_sdk.models.blocks import Block, DividerBlock

from bot.errors import CallError
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.common.blocks import deploy_line, oncall_summary
from handlers.common.errors import user_message
from handlers.common.kit import context, header, section
from handlers.common.mrkdwn import Mrkdwn, link, moment

RECENT = timedelta(hours=24)
LINES_PER_KIND = 5


def _recent_lines(snapshot: ServiceSnapshot, now: datetime) -> list[Mrkdwn]:
    deploys = [deploy for deploy in snapshot.deploys if deploy.timestamp >= now - RECENT]
    lines = [Mrkdwn("• {}").format(deploy_line(deploy)) for deploy in deploys[:LINES_PER_KIND]]
    if len(deploys) > LINES_PER_KIND:
        lines.append(Mrkdwn("_and {} more deploys_").format(len(deploys) - LINES_PER_KIND))
    events = snapshot.events
    lines += [
        Mrkdwn("• *{}* {}, {}").format(event.type, event.title, moment(event.timestamp))
        for event in events[:LINES_PER_KIND]
    ]
    if len(events) > LINES_PER_KIND:
        lines.append(Mrkdwn("_and {} more events_").format(len(events) - LINES_PER_KIND))
    return lines


def service_context(
    tag: str, known: ServiceSnapshot | CallError, now: datetime, slash: str
) -> list[Block]:
    if isinstance(known, CallError):
        return [context(Mrkdwn(":warning: `{}`: {}").format(tag, user_message(known, slash)))]
    entity = known.entity
    levels = ", ".join(
        f"{score.scorecard_name} {score.level}" for score in known.scores if score.level
    )
    owners = [team.name for team in entity.owners.teams]
    owners += [person.email for person in entity.owners.individuals]
    heading = Mrkdwn("*{}* `{}`{}\nOwners: {}\nOn call: {}").format(
        entity.name,
        entity.tag,
        f" · {levels}" if levels else "",
        ", ".join(owners) or Mrkdwn("_none in Cortex_"),
        oncall_summary(known.oncall),
    )
    recent = _recent_lines(known, now) or [Mrkdwn("_No deploys or events in the last 24 hours._")]
    blocks: list[Block] = [
        section(heading),
        section(Mrkdwn("*Last 24 hours*\n{}").format(Mrkdwn("\n").join(recent))),
    ]
    if known.problems:
        missing = "; ".join(known.problems)
        blocks.append(context(Mrkdwn(":warning: {} unavailable right now").format(missing)))
    return blocks


def context_blocks(
    tags: Sequence[str],
    snapshots: Mapping[str, ServiceSnapshot | CallError],
    now: datetime,
    slash: str,
) -> list[Block]:
    """The context of each picked service whose snapshot is known, a divider before each."""
    blocks: list[Block] = []
    for tag in tags:
        known = snapshots.get(tag)
        if known is not None:
            blocks += [DividerBlock(), *service_context(tag, known, now, slash)]
    return blocks


def incident_summary(
    tags: Sequence[str],
    snapshots: Mapping[str, ServiceSnapshot | CallError],
    incident: RootlyIncident | None,
    slash: str,
    now: datetime | None = None,
) -> list[Block]:
    """The context as posted in the channel."""
    now = now or datetime.now(UTC)
    title = f"Incident context: {incident.title}" if incident else "Incident context"
    blocks: list[Block] = [header(title)]
    if incident and incident.url:
        blocks.append(context(link(incident.url, "Open the incident in Rootly")))
    return blocks + context_blocks(tags, snapshots, now, slash)
