"""Digests in Slack: the digest itself, the schedule answers, the channel's list.

A digest opens with its counts, then the catalog changes and the last sync, then one section per
service with activity, most recent first. Long digests are cut to Slack's limits (50 blocks, 3000
characters a section), saying how much more there was.
"""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block, DividerBlock

from bot.cortex.models import CustomEvent, Deploy, DeployType, Entity
from bot.digests import Digest, DigestContent, ServiceActivity
from bot.sync.report import count_phrases
from handlers.common import ids
from handlers.common.blocks import deploy_line
from handlers.common.errors import slack_refusal
from handlers.common.home import digest_schedule, next_post, scope_text
from handlers.common.kit import SECTION_TEXT, Message, button, context, fitted, section
from handlers.common.mrkdwn import Mrkdwn, channel_link, link, mention, moment, plural

# Blocks a digest keeps for its heading, catalog changes, last sync, divider, "and more" and notes.
MAX_SERVICE_SECTIONS = 40
LINES_PER_SERVICE = 10
MAX_LISTED = 40


def _title(frequency: str | None) -> str:
    return f"{frequency.capitalize()} digest" if frequency else "Digest"


# --- the digest ----------------------------------------------------------------------------------


def _counts(content: DigestContent) -> list[Mrkdwn]:
    rollbacks = Mrkdwn(" ({})").format(plural(content.rollbacks, "rollback"))
    parts = [
        Mrkdwn("{}{} on {}").format(
            plural(content.deploys, "deploy"),
            rollbacks if content.rollbacks else "",
            plural(len(content.activity), "service"),
        )
        if content.deploys
        else None,
        plural(content.events, "custom event") if content.events else None,
        Mrkdwn("{} created").format(plural(len(content.created), "service"))
        if content.created
        else None,
        Mrkdwn("{} archived").format(plural(len(content.archived), "service"))
        if content.archived
        else None,
    ]
    return [part for part in parts if part is not None]


def _heading(content: DigestContent, frequency: str | None) -> Mrkdwn:
    return Mrkdwn("*{}* for {} ({}) since {}").format(
        _title(frequency),
        scope_text(content.scope),
        plural(content.in_scope, "service"),
        moment(content.window.start),
    )


def _entity(entity: Entity) -> Mrkdwn:
    return Mrkdwn("{} `{}`").format(entity.name, entity.tag)


def _catalog_changes(content: DigestContent) -> list[Block]:
    lines = [
        Mrkdwn("*{}:* {}").format(title, Mrkdwn(", ").join(_entity(entity) for entity in entities))
        for title, entities in (("New", content.created), ("Archived", content.archived))
        if entities
    ]
    return [section(fitted(lines))] if lines else []


def _last_sync(content: DigestContent) -> list[Block]:
    report = content.last_sync
    if report is None:
        return []
    counts = ", ".join(count_phrases(report)) or "nothing to sync"
    heading = Mrkdwn("*Last Rootly sync* {}: {} — {}").format(
        moment(report.finished_at), report.status.value, counts
    )
    return [section(heading)]


def _deploy(deploy: Deploy) -> Mrkdwn:
    marker = ":rewind:" if deploy.type is DeployType.ROLLBACK else ":rocket:"
    return Mrkdwn("{} {}").format(marker, deploy_line(deploy))


def _event(event: CustomEvent) -> Mrkdwn:
    return Mrkdwn(":pushpin: {} ({}), {}").format(
        link(event.url, event.title), event.type, moment(event.timestamp)
    )


def _service(service: ServiceActivity) -> Block:
    counts = [plural(len(service.deploys), "deploy")] if service.deploys else []
    counts += [plural(service.rollbacks, "rollback")] if service.rollbacks else []
    counts += [plural(len(service.events), "event")] if service.events else []
    heading = Mrkdwn("*{}* — {}").format(_entity(service.entity), Mrkdwn(", ").join(counts))
    lines = [*map(_deploy, service.deploys), *map(_event, service.events)]
    body = fitted(lines, SECTION_TEXT - len(heading) - 1, LINES_PER_SERVICE)
    return section(Mrkdwn("{}\n{}").format(heading, body))


def _services(activity: Sequence[ServiceActivity]) -> list[Block]:
    blocks: list[Block] = [_service(service) for service in activity[:MAX_SERVICE_SECTIONS]]
    rest = activity[MAX_SERVICE_SECTIONS:]
    if rest:
        lines = [
            Mrkdwn("`{}` ({})").format(s.entity.tag, len(s.deploys) + len(s.events)) for s in rest
        ]
        more = Mrkdwn("*{} with activity:*").format(plural(len(rest), "more service"))
        body = fitted(lines, SECTION_TEXT - len(more) - 1)
        blocks.append(section(Mrkdwn("{}\n{}").format(more, body)))
    return blocks


def _notes(content: DigestContent) -> list[Block]:
    notes = []
    if content.unreadable:
        tags = Mrkdwn(", ").join(Mrkdwn("`{}`").format(s.entity.tag) for s in content.unreadable)
        notes.append(
            Mrkdwn("Cortex did not tell the activity of {}: {}").format(
                plural(len(content.unreadable), "service"), tags
            )
        )
    if content.stale:
        notes.append(Mrkdwn("Cortex was not answering; some of this is older cached data"))
    return [context(Mrkdwn(":warning: {}").format(Mrkdwn("; ").join(notes)))] if notes else []


def digest_message(content: DigestContent, frequency: str | None = None) -> Message:
    """The digest as posted in its channel: counts first, details after, within Slack's limits."""
    heading = _heading(content, frequency)
    if not content.has_news:
        text = Mrkdwn("{}: nothing new — no deploys, custom events or catalog changes.").format(
            heading
        )
        return Message(text, [section(text)])
    counts = Mrkdwn(", ").join(_counts(content)) or Mrkdwn("no deploys or custom events")
    blocks: list[Block] = [
        section(Mrkdwn("{}\n{}.").format(heading, counts)),
        *_catalog_changes(content),
        *_last_sync(content),
    ]
    if content.activity:
        blocks += [DividerBlock(), *_services(content.activity)]
    blocks += _notes(content)
    return Message(Mrkdwn("{}: {}").format(_title(frequency), counts), blocks)


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
            accessory=button("Delete", ids.DIGEST_DELETE, digest.id, style="danger"),
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
