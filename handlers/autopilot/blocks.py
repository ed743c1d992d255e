"""What the autopilot shows in Slack: the Cortex context message of an incident, and the answers
to `/cortex incidents auto on|off`. Pure functions. Every text from Rootly or Cortex is escaped,
the top-level `text` included, so an incident called `<!channel>` pings nobody.

The message stays well under Slack's 50 blocks: a header and a line about the incident, one block
per service (at most ten), the changes in one section (at most ten, then "and N more"), and a
line saying what could not be read.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock, PlainTextObject, SectionBlock

from bot.autopilot import Change, IncidentContext, ManualSetup, ServiceContext, TurnedOff, TurnedOn
from bot.autopilot.setup import ENDPOINT_NAME
from bot.autopilot.timeline import window_text
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.blocks import (
    HEADER_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    Message,
    button,
    context,
    cortex_web_url,
    escaped,
    fitted,
    link,
    moment,
    oncall_summary,
    plain_blocks,
    section,
    trimmed,
)
from handlers.common.errors import user_message

MAX_CHANGES = 10


def context_message(incident_context: IncidentContext) -> Message:
    incident = incident_context.incident
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=trimmed(f"Cortex context: {incident.title}", HEADER_TEXT_LIMIT)
            )
        ),
        context(_about(incident_context)),
    ]
    cortex_url = incident_context.cortex_url
    blocks += [_service_block(service, cortex_url) for service in incident_context.services]
    if not incident_context.services:
        blocks.append(section("No service of this incident maps to a Cortex service any more."))
    if incident_context.more_services:
        more = incident_context.more_services
        blocks.append(context(f"…and {more} more services on the incident, not shown here."))
    blocks += [DividerBlock(), section(_changes(incident_context))]
    if incident_context.missing:
        missing = escaped("; ".join(incident_context.missing))
        blocks.append(context(f":warning: Not available right now: {missing}."))
    return Message(f"Cortex context for the incident {escaped(incident.title)}", blocks)


def _about(incident_context: IncidentContext) -> str:
    incident = incident_context.incident
    number = f"#{incident.sequential_id} " if incident.sequential_id else ""
    name = f"{number}{incident.title}"
    named = link(incident.url, name) if incident.url else escaped(name)
    status = f" ({escaped(incident.status)})" if incident.status else ""
    return f"Rootly incident {named}{status}, began {moment(incident.begun_at)}"


def _service_block(service: ServiceContext, cortex_api_url: str) -> SectionBlock:
    card = button("Card", ids.SHOW_SERVICE, service.tag)
    known = service.known
    if not isinstance(known, ServiceSnapshot):
        problem = escaped(user_message(known))
        text = (
            f":warning: `{escaped(service.cortex_id)}` ({escaped(service.rootly_name)}): {problem}"
        )
        return section(text, card)
    entity = known.entity
    levels = ", ".join(
        f"{escaped(score.scorecard_name)}: {escaped(score.level)}"
        for score in known.scores
        if score.level
    )
    owners = [team.name or team.tag for team in entity.owners.teams]
    owners += [person.email for person in entity.owners.individuals]
    lines = [
        f"*{link(cortex_web_url(cortex_api_url, entity.tag), entity.name)}* `{escaped(entity.tag)}`"
        + (f" · {levels}" if levels else ""),
        f"Owners: {escaped(', '.join(owners)) or '_none in Cortex_'}",
        f"On call now: {oncall_summary(known.oncall)}",
    ]
    return section("\n".join(lines), card)


def _changes(incident_context: IncidentContext) -> str:
    span = window_text(incident_context.window.end - incident_context.window.start)
    if not incident_context.changes:
        return (
            f"*What changed*: nothing in these services or the services they depend on in the "
            f"{span} before the incident began."
        )
    heading = f"*What changed in the {span} before the incident began*, newest first"
    lines = [_change_line(change) for change in incident_context.changes]
    return f"{heading}\n{fitted(lines, SECTION_TEXT_LIMIT - len(heading) - 1, MAX_CHANGES)}"


def _change_line(change: Change) -> str:
    if change.is_rollback:
        kind = ":rewind: *Rollback*"
    elif change.is_deploy:
        kind = f"*{escaped(change.kind.capitalize())}*"
    else:
        kind = f"*{escaped(change.kind)}* event"
    where = f"`{escaped(change.tag)}`"
    if change.dependency_of:
        where += f" _(`{escaped(change.dependency_of)}` depends on it)_"
    title = link(change.url, change.title) if change.url else escaped(change.title)
    line = f"• {kind} of {where}: {title}"
    if change.environment:
        line += f" to *{escaped(change.environment)}*"
    if change.who:
        line += f" by {escaped(change.who)}"
    return f"{line}, {moment(change.when)}"


# --- the answers to `/cortex incidents auto on|off` ----------------------------------------------


def turned_on_message(turned_on: TurnedOn, channel_id: str, window: timedelta) -> Message:
    where = (
        f"When a Rootly incident starts, I post its Cortex context in its Slack channel, or in "
        f"<#{channel_id}> when it has none or I may not post there, with what changed in the "
        f"{window_text(window)} before it began."
    )
    if turned_on.already_on:
        return Message("The incident autopilot was already on", plain_blocks(f"Still on. {where}"))
    if turned_on.manual is not None:
        return Message("Add the webhook in Rootly by hand", _manual_setup(turned_on.manual, where))
    return Message(
        "The incident autopilot is on",
        plain_blocks(
            f":white_check_mark: Incident autopilot on, webhook registered in Rootly. {where}"
        ),
    )


def _manual_setup(manual: ManualSetup, where: str) -> list[Block]:
    events = ", ".join(f"`{event}`" for event in manual.event_types)
    return [
        section(
            ":warning: Rootly did not let this workspace's API key register the webhook "
            f"(it answered: {escaped(manual.refusal.detail)}). Add it in Rootly by hand "
            "(Configuration → Webhooks → New endpoint):\n"
            f"• URL: `{escaped(manual.url)}`\n"
            f"• Secret: `{escaped(manual.secret)}`\n"
            f"• Events: {events}"
        ),
        context(
            "The secret is shown only this once: deliveries not signed with it are refused. "
            f"The autopilot is on meanwhile. {where}"
        ),
    ]


def turned_off_message(turned_off: TurnedOff) -> Message:
    if not turned_off.was_on:
        return Message(
            "The incident autopilot was not on", plain_blocks("The incident autopilot was not on.")
        )
    text = "Incident autopilot off: Rootly's deliveries are refused from now on."
    if turned_off.left_in_rootly is not None:
        text += (
            " The webhook could not be deleted in Rootly "
            f"({escaped(user_message(turned_off.left_in_rootly))}) An admin can delete it there "
            f"(Configuration → Webhooks, the one named “{ENDPOINT_NAME}”)."
        )
    return Message("The incident autopilot is off", plain_blocks(text))
