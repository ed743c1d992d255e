"""`/cortex incident` takes nothing after it."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.common.lexer import takes_nothing


@dataclass(frozen=True)
class Incident:
    """Open the incident modal."""


parse_incident = takes_nothing("incident", Incident())
