"""`/cortex incident`: the incident modal (also opened by the two "Incident context" shortcuts)."""

from __future__ import annotations

from handlers.commands.grammar import Incident
from handlers.context import Invocation
from handlers.views.incident import open_incident_modal


async def incident(invocation: Invocation, _command: Incident) -> None:
    await open_incident_modal(invocation)
