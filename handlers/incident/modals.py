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
    ExternalDataMultiSelectElement,
    InputBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.errors import CallError
from bot.rootly.models import RootlyIncident
from bot.snapshot import ServiceSnapshot
from handlers.common import ids
from handlers.common.blocks import service_label
from handlers.common.kit import context, modal, options, plain
from handlers.common.mrkdwn import Mrkdwn
from handlers.incident.blocks import context_blocks

MAX_SERVICES = 10

# In the order the submit button names them ("Attach, record and post").
ACTIONS = {
    ids.ATTACH_TO_INCIDENT: ("Attach these services to the Rootly incident", "attach"),
    ids.RECORD_INCIDENT_EVENTS: ("Record an INCIDENT event on each service in Cortex", "record"),
    ids.POST_INCIDENT_SUMMARY: ("Post this context in the channel", "post"),
}
# What the first minute needs: the services on the incident, and the channel told.
DEFAULT_ACTIONS = (ids.ATTACH_TO_INCIDENT, ids.POST_INCIDENT_SUMMARY)


@dataclass(frozen=True)
class IncidentForm:
    """What the modal shows: the picks so far and what is known about them."""

    channel: str
    slash: str  # the app's slash command, as the modal's hints name it
    tags: tuple[str, ...] = ()
    snapshots: Mapping[str, ServiceSnapshot | CallError] = field(default_factory=dict)
    incidents: Sequence[RootlyIncident] | None = None  # None: Rootly is not connected
    incident_id: str | None = None
    # None: the person has not seen the choices yet, so the defaults are ticked.
    picked_actions: tuple[str, ...] | None = None
    # The modal as first opened, before the workspace's connection and incidents are read.
    loading: bool = False
    # Why Rootly's incidents could not be listed, when it failed.
    incidents_problem: Mrkdwn | None = None

    @property
    def offered(self) -> tuple[str, ...]:
        """Attaching needs a Rootly incident to choose, posting a channel (a global shortcut
        has none)."""
        needs = {
            ids.ATTACH_TO_INCIDENT: bool(self.incidents),
            ids.POST_INCIDENT_SUMMARY: bool(self.channel),
        }
        return tuple(action for action in ACTIONS if needs.get(action, True))

    @property
    def actions(self) -> tuple[str, ...]:
        """What submitting does: the ticked actions, the defaults until the person changes them."""
        ticked = DEFAULT_ACTIONS if self.picked_actions is None else self.picked_actions
        return tuple(action for action in self.offered if action in ticked)


def submit_label(actions: Sequence[str]) -> str:
    """What the submit button says it will do: "Attach and post"."""
    verbs = [verb for action, (_, verb) in ACTIONS.items() if action in actions]
    if not verbs:
        return "Apply"
    said = verbs[0] if len(verbs) == 1 else f"{', '.join(verbs[:-1])} and {verbs[-1]}"
    return said.capitalize()


def _picked_label(tag: str, known: ServiceSnapshot | CallError | None) -> str:
    return service_label(known.entity.name, tag) if isinstance(known, ServiceSnapshot) else tag


def _incident_label(incident: RootlyIncident) -> str:
    number = f"#{incident.sequential_id} " if incident.sequential_id else ""
    severity = f" · {incident.severity}" if incident.severity else ""
    return f"{number}{incident.title}{severity} ({incident.status or 'open'})"


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
                action_id=ids.INCIDENT_SELECT,
                placeholder=plain("Pick the incident"),
                options=choices,
                initial_option=chosen,
            ),
        )
    ]


def _action_choices(form: IncidentForm) -> list[Block]:
    if form.loading:
        # Shown once the choices are known, so that the defaults ticked are the right ones.
        return []
    choices = options((ACTIONS[action][0], action) for action in form.offered)
    chosen = [choice for choice in choices if choice.value in form.actions]
    return [
        InputBlock(
            block_id=ids.INCIDENT_ACTIONS_BLOCK,
            label=plain("On submit"),
            dispatch_action=True,
            element=CheckboxesElement(
                action_id=ids.INCIDENT_ACTIONS, options=choices, initial_options=chosen or None
            ),
        )
    ]


def incident_modal(form: IncidentForm, now: datetime | None = None) -> View:
    now = now or datetime.now(UTC)
    picked = options((_picked_label(tag, form.snapshots.get(tag)), tag) for tag in form.tags)
    blocks: list[Block] = [
        *_incident_picker(form),
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
        ),
        *context_blocks(form.tags, form.snapshots, now, form.slash),
        *_action_choices(form),
    ]
    return modal(
        ids.INCIDENT_VIEW,
        "Incident context",
        blocks,
        submit=submit_label(form.actions),
        private_metadata=json.dumps({"channel": form.channel}),
    )
