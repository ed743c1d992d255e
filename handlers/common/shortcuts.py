"""A shortcut as a feature declares it: its callback ID (what the feature listens for) and what the
app manifest tells Slack about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Shortcut:
    callback_id: str
    name: str  # Slack allows 24 characters
    type: Literal["global", "message"]
    description: str  # Slack allows 150 characters
