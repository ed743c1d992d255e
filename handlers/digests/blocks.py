"""Digests in Slack: the digest itself, the schedule answers, the channel's list.

A digest opens with its counts, then the catalog changes and the last sync, then one section per
service with activity, most recent first. Long digests are cut to Slack's limits (50 blocks, 3000
characters a section), saying how much more there was.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock, MarkdownTextObject, SectionBlock

from bot.cortex.models import CustomEvent, Deploy, DeployType, Entity
from bot.digests import Digest, DigestContent, ServiceActivity
from bot.sync.report import count_phrases
from handlers.common import ids
from handlers.common.blocks import (
    SECTION_TEXT_LIMIT,
    Message,
    button,
    context,
    deploy_line,
    escaped,
    fitted,
    moment,
    plural,
    section,
    trimmed,
)
from handlers.common.home import digest_schedule, next_post, scope_text

# Blocks a digest keeps for its heading, catalog changes, last sync, divider, "and more" and notes.
MAX_SERVICE_SECTIONS = 40
LINES_PER_SERVICE = 10
MAX_LISTED = 40


def _title(frequency: str | None) -> str:
    return f"{frequency.capitalize()} digest" if frequency else "Digest"


# --- the digest ----------------------------------------------------------------------------------


def _counts(content: DigestContent) -> list[str]:
    rollbacks = f" ({plural(content.rollbacks, 'rollback')})" if content.rollbacks else ""
    parts = [
        f"{plural(content.deploys, 'deploy')}{rollbacks} on "
        f"{plural(len(content.activity), 'service')}"
        if content.deploys
        else "",
        plural(content.events, "custom event") if content.events else "",
        f"{plural(len(content.created), 'service')} created" if content.created else "",
        f"{plural(len(content.archived), 'service')} archived" if content.archived else "",
    ]
    return [part for part in parts if part]


def _heading(content: DigestContent, frequency: str | None) -> str:
    return (
        f"*{_title(frequency)}* for {scope_text(content.scope)} "
        f"({plural(content.in_scope, 'service')}) since {moment(content.window.start)}"
    )


def _entity(entity: Entity) -> str:
    return f"{escaped(entity.name)} `{escaped(entity.tag)}`"


def _catalog_changes(content: DigestContent) -> list[Block]:
    lines = [
        f"*{title}:* " + ", ".join(_entity(entity) for entity in entities)
        for title, entities in (("New", content.created), ("Archived", content.archived))
        if entities
    ]
    return [section(fitted(lines))] if lines else []


def _last_sync(content: DigestContent) -> list[Block]:
    report = content.last_sync
    if report is None:
        return []
    counts = ", ".join(count_phrases(report)) or "nothing to sync"
    return [
        section(
            f"*Last Rootly sync* {moment(report.finished_at)}: {report.status.value} — {counts}"
        )
    ]


def _deploy(deploy: Deploy) -> str:
    marker = ":rewind:" if deploy.type is DeployType.ROLLBACK else ":rocket:"
    return f"{marker} {deploy_line(deploy)}"


def _event(event: CustomEvent) -> str:
    title = escaped(event.title)
    title = f"<{event.url}|{title}>" if event.url else title
    return f":pushpin: {title} ({escaped(event.type)}), {moment(event.timestamp)}"


def _service(service: ServiceActivity) -> Block:
    counts = [plural(len(service.deploys), "deploy")] if service.deploys else []
    counts += [plural(service.rollbacks, "rollback")] if service.rollbacks else []
    counts += [plural(len(service.events), "event")] if service.events else []
    heading = f"*{_entity(service.entity)}* — {', '.join(counts)}"
    lines = [*map(_deploy, service.deploys), *map(_event, service.events)]
    body = fitted(lines, SECTION_TEXT_LIMIT - len(heading) - 1, LINES_PER_SERVICE)
    return section(f"{heading}\n{body}")


def _services(activity: Sequence[ServiceActivity]) -> list[Block]:
    blocks: list[Block] = [_service(service) for service in activity[:MAX_SERVICE_SECTIONS]]
    rest = activity[MAX_SERVICE_SECTIONS:]
    if rest:
        lines = [f"`{escaped(s.entity.tag)}` ({len(s.deploys) + len(s.events)})" for s in rest]
        more = f"*{plural(len(rest), 'more service')} with activity:*"
        blocks.append(section(f"{more}\n{fitted(lines, SECTION_TEXT_LIMIT - len(more) - 1)}"))
    return blocks


def _notes(content: DigestContent) -> list[Block]:
    notes = []
    if content.unreadable:
        tags = ", ".join(f"`{escaped(s.entity.tag)}`" for s in content.unreadable)
        notes.append(
            f"Cortex did not tell the activity of {plural(len(content.unreadable), 'service')}: "
            f"{tags}"
        )
    if content.stale:
        notes.append("Cortex was not answering; some of this is older cached data")
    return [context(":warning: " + "; ".join(notes))] if notes else []


def digest_message(content: DigestContent, frequency: str | None = None) -> Message:
    """The digest as posted in its channel: counts first, details after, within Slack's limits."""
    heading = _heading(content, frequency)
    if not content.has_news:
        text = f"{heading}: nothing new — no deploys, custom events or catalog changes."
        return Message(text, [section(text)])
    counts = ", ".join(_counts(content)) or "no deploys or custom events"
    blocks: list[Block] = [
        section(f"{heading}\n{counts}."),
        *_catalog_changes(content),
        *_last_sync(content),
    ]
    if content.activity:
        blocks += [DividerBlock(), *_services(content.activity)]
    blocks += _notes(content)
    return Message(f"{_title(frequency)}: {counts}", blocks)


# --- scheduling, the channel's list --------------------------------------------------------------


def scheduled_message(digest: Digest, in_scope: int, user_id: str) -> Message:
    text = (
        f"<@{user_id}> scheduled a {digest_schedule(digest)} in this channel "
        f"({plural(in_scope, 'service')} in scope now); the first one is {next_post(digest)}."
    )
    return Message(text, [section(text)])


def list_message(digests: Sequence[Digest]) -> Message:
    """This channel's digests, each with a button to delete it."""
    if not digests:
        text = "No digests are scheduled in this channel. `/cortex digest daily` schedules one."
        return Message(text, [section(text)])
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=trimmed(
                    f"*{digest_schedule(digest)}*\n{next_post(digest)} "
                    f"· set by <@{digest.created_by}>"
                )
            ),
            accessory=button("Delete", ids.DIGEST_DELETE, digest.id, style="danger"),
        )
        for digest in digests[:MAX_LISTED]
    ]
    if len(digests) > MAX_LISTED:
        blocks.append(context(f"…and {len(digests) - MAX_LISTED:,} more"))
    return Message(f"{plural(len(digests), 'digest')} scheduled in this channel", blocks)


def removed_message(removed: Sequence[Digest], user_id: str) -> Message:
    if not removed:
        text = "No digests were scheduled in this channel."
    else:
        listed = "; ".join(digest_schedule(digest) for digest in removed)
        text = f"<@{user_id}> turned off {plural(len(removed), 'digest')} here: {listed}."
    return Message(text, [section(text)])


def channel_gone_text(digest: Digest, slack_error: str) -> str:
    """What the creator of a digest is told when its channel can no longer be posted in."""
    return (
        f"I could not post your {digest_schedule(digest)} in <#{digest.channel_id}> (Slack said "
        f"`{escaped(slack_error)}`), so I turned it off. Invite me to the channel, then schedule "
        "it again there with `/cortex digest`."
    )


def cannot_post_message(slack_error: str) -> Message:
    text = (
        f"I cannot post in this channel (Slack says `{escaped(slack_error)}`). "
        "Invite me to it, or use a public channel."
    )
    return Message(text, [section(text)])
