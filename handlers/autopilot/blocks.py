"""What the autopilot shows in Slack: the Cortex context message of an incident, and the answers
to `/cortex incidents auto on|off`. Pure functions; every text from Rootly or Cortex goes in as a
value of `Mrkdwn`, the top-level `text` included, so an incident called `<!channel>` pings nobody.

The message stays well under Slack's 50 blocks: a header and a line about the incident, one block
per service (at most ten), the changes in one section (at most ten, then "and N more"), and a
line saying what could not be read.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block, DividerBlock, SectionBlock

from bot.autopilot import IncidentContext, ManualSetup, ServiceContext, TurnedOff, TurnedOn
from bot.autopilot.setup import ENDPOINT_NAME
from bot.autopilot.timeline import window_text
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.blocks import change_line, cortex_web_url, oncall_summary, owners_line
from handlers.common.errors import user_message
from handlers.common.kit import SECTION_TEXT, Message, button, context, fitted, header, section
from handlers.common.mrkdwn import Mrkdwn, channel_link, link, moment
from handlers.common.people import People

MAX_CHANGES = 10


def context_message(incident_context: IncidentContext, slash: str, people: People) -> Message:
    incident = incident_context.incident
    blocks: list[Block] = [
        header(f"Cortex context: {incident.title}"),
        context(_about(incident_context)),
    ]
    cortex_url = incident_context.cortex_url
    blocks += [
        _service_block(service, cortex_url, slash, people) for service in incident_context.services
    ]
    if not incident_context.services:
        blocks.append(
            section(Mrkdwn("No service of this incident maps to a Cortex service any more."))
        )
    if incident_context.more_services:
        more = Mrkdwn("…and {} more services on the incident, not shown here.")
        blocks.append(context(more.format(incident_context.more_services)))
    blocks += [DividerBlock(), section(_changes(incident_context))]
    if incident_context.missing:
        missing = "; ".join(incident_context.missing)
        blocks.append(context(Mrkdwn(":warning: Not available right now: {}.").format(missing)))
    return Message(Mrkdwn("Cortex context for the incident {}").format(incident.title), blocks)


def _about(incident_context: IncidentContext) -> Mrkdwn:
    incident = incident_context.incident
    number = f"#{incident.sequential_id} " if incident.sequential_id else ""
    status = f" ({incident.status})" if incident.status else ""
    return Mrkdwn("Rootly incident {}{}, began {}").format(
        link(incident.url, f"{number}{incident.title}"), status, moment(incident.begun_at)
    )


def _service_block(
    service: ServiceContext, cortex_api_url: str, slash: str, people: People
) -> SectionBlock:
    card = button("Card", ids.SHOW_SERVICE, service.tag)
    known = service.known
    if not isinstance(known, ServiceSnapshot):
        problem = Mrkdwn(":warning: `{}` ({}): {}").format(
            service.cortex_id, service.rootly_name, user_message(known, slash)
        )
        return section(problem, accessory=card)
    entity = known.entity
    levels = ", ".join(
        f"{score.scorecard_name}: {score.level}" for score in known.scores if score.level
    )
    text = Mrkdwn("*{}* `{}`{}\nOwners: {}\nOn call now: {}").format(
        link(cortex_web_url(cortex_api_url, entity.tag), entity.name),
        entity.tag,
        f" · {levels}" if levels else "",
        owners_line(entity, people),
        oncall_summary(known.oncall, people),
    )
    return section(text, accessory=card)


def _changes(incident_context: IncidentContext) -> Mrkdwn:
    span = window_text(incident_context.window.end - incident_context.window.start)
    if not incident_context.changes:
        return Mrkdwn(
            "*What changed*: nothing in these services or the services they depend on in the "
            "{} before the incident began."
        ).format(span)
    heading = Mrkdwn("*What changed in the {} before the incident began*, newest first").format(
        span
    )
    lines = [change_line(change) for change in incident_context.changes]
    shown = fitted(lines, SECTION_TEXT - len(heading) - 1, MAX_CHANGES)
    return Mrkdwn("\n").join((heading, shown))


# --- the answers to `/cortex incidents auto on|off` ----------------------------------------------


def turned_on_message(turned_on: TurnedOn, channel_id: str, window: timedelta) -> Message:
    where = Mrkdwn(
        "When a Rootly incident starts, I post its Cortex context in its Slack channel, or in {} "
        "when it has none or I may not post there, with what changed in the {} before it began."
    ).format(channel_link(channel_id), window_text(window))
    if turned_on.already_on:
        return Message(
            Mrkdwn("The incident autopilot was already on"),
            [section(Mrkdwn("Still on. {}").format(where))],
        )
    if turned_on.manual is not None:
        return Message(
            Mrkdwn("Add the webhook in Rootly by hand"), _manual_setup(turned_on.manual, where)
        )
    on = Mrkdwn(":white_check_mark: Incident autopilot on, webhook registered in Rootly. {}")
    return Message(Mrkdwn("The incident autopilot is on"), [section(on.format(where))])


def _manual_setup(manual: ManualSetup, where: Mrkdwn) -> list[Block]:
    events = Mrkdwn(", ").join(Mrkdwn("`{}`").format(event) for event in manual.event_types)
    return [
        section(
            Mrkdwn(
                ":warning: Rootly did not let this workspace's API key register the webhook "
                "(it answered: {}). Add it in Rootly by hand (Configuration → Webhooks → New "
                "endpoint):\n• URL: `{}`\n• Secret: `{}`\n• Events: {}"
            ).format(manual.refusal.detail, manual.url, manual.secret, events)
        ),
        context(
            Mrkdwn(
                "The secret is shown only this once: deliveries not signed with it are refused. "
                "The autopilot is on meanwhile. {}"
            ).format(where)
        ),
    ]


def turned_off_message(turned_off: TurnedOff, slash: str) -> Message:
    if not turned_off.was_on:
        not_on = Mrkdwn("The incident autopilot was not on.")
        return Message(not_on, [section(not_on)])
    text = Mrkdwn("Incident autopilot off: Rootly's deliveries are refused from now on.")
    if turned_off.left_in_rootly is not None:
        text += Mrkdwn(
            " The webhook could not be deleted in Rootly ({}) An admin can delete it there "
            "(Configuration → Webhooks, the one named “{}”)."
        ).format(user_message(turned_off.left_in_rootly, slash), ENDPOINT_NAME)
    return Message(Mrkdwn("The incident autopilot is off"), [section(text)])
