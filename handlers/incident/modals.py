"""The incident modal: the services picked so far with their context, the Rootly incident, and what
to do on submit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DividerBlock,
    ExternalDataMultiSelectElement,
    InputBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import CallError
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.kit import context, modal, options, plain
from handlers.common.mrkdwn import Mrkdwn
from handlers.incident.blocks import context_blocks

MAX_SERVICES = 10

ACTION_LABELS = {
    ids.ATTACH_TO_INCIDENT: "Attach these services to the Rootly incident",
    ids.RECORD_INCIDENT_EVENTS: "Record an INCIDENT event on each service in Cortex",
    ids.POST_INCIDENT_SUMMARY: "Post this context in the channel",
}


@dataclass(frozen=True)
class IncidentForm:
    """What the modal shows: the picks so far and what is known about them."""

    channel: str
    slash: str  # the app's slash command, as the modal's hints name it
    tags: tuple[str, ...] = ()
    snapshots: Mapping[str, ServiceSnapshot | CallError] = field(default_factory=dict)
    incidents: Sequence[RootlyIncident] | None = None  # None: Rootly is not connected
    incident_id: str | None = None
    actions: tuple[str, ...] = (ids.RECORD_INCIDENT_EVENTS, ids.POST_INCIDENT_SUMMARY)
    # The modal as first opened, before the workspace's connection and incidents are read.
    loading: bool = False
    # Why Rootly's incidents could not be listed, when it failed.
    incidents_problem: Mrkdwn | None = None


def _picked_label(tag: str, known: ServiceSnapshot | CallError | None) -> str:
    return known.entity.name if isinstance(known, ServiceSnapshot) else tag


def _incident_label(incident: RootlyIncident) -> str:
    number = f"#{incident.sequential_id} " if incident.sequential_id else ""
    return f"{number}{incident.title} ({incident.status or 'open'})"


def _incident_picker(form: IncidentForm) -> list[Block]:
    if form.loading:
        return [context(Mrkdwn("Loading the Rootly incidents…"))]
    if form.incidents_problem:
        return [context(Mrkdwn(":warning: {}").format(form.incidents_problem))]
    if form.incidents is None:
        connect = Mrkdwn("Connect Rootly (`{} connect`) to link services to an incident.").format(
            form.slash
        )
        return [context(connect)]
    choices = options((_incident_label(incident), incident.id) for incident in form.incidents)
    if not choices:
        none = Mrkdwn("No Rootly incident is linked to this channel or active right now.")
        return [context(none)]
    chosen = next((o for o in choices if o.value == form.incident_id), None)
    return [
        InputBlock(
            block_id=ids.INCIDENT_BLOCK,
            label=plain("Rootly incident"),
            optional=True,
            element=StaticSelectElement(
                action_id=ids.INCIDENT_SELECT, options=choices, initial_option=chosen
            ),
        )
    ]


def _action_choices(form: IncidentForm) -> InputBlock:
    offered = [
        action for action in ACTION_LABELS if action != ids.ATTACH_TO_INCIDENT or form.incidents
    ]
    choices = options((ACTION_LABELS[action], action) for action in offered)
    chosen = [choice for choice in choices if choice.value in form.actions]
    return InputBlock(
        block_id=ids.INCIDENT_ACTIONS_BLOCK,
        label=plain("On submit"),
        element=CheckboxesElement(
            action_id=ids.INCIDENT_ACTIONS, options=choices, initial_options=chosen or None
        ),
    )


def incident_modal(form: IncidentForm, now: datetime | None = None) -> View:
    now = now or datetime.now(UTC)
    picked = options((_picked_label(tag, form.snapshots.get(tag)), tag) for tag in form.tags)
    blocks: list[Block] = [
        InputBlock(
            block_id=ids.INCIDENT_SERVICES_BLOCK,
            label=plain("Affected services"),
            dispatch_action=True,
            element=ExternalDataMultiSelectElement(
                action_id=ids.INCIDENT_SERVICES,
                placeholder=plain("Type a name or tag"),
                min_query_length=0,
                max_selected_items=MAX_SERVICES,
                initial_options=picked or None,
            ),
        )
    ]
    blocks += context_blocks(form.tags, form.snapshots, now, form.slash)
    blocks += [DividerBlock(), *_incident_picker(form), _action_choices(form)]
    return modal(
        ids.INCIDENT_VIEW,
        "Incident context",
        blocks,
        submit="Apply",
        private_metadata=json.dumps({"channel": form.channel}),
    )
