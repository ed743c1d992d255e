"""The line the autopilot adds to the incident's Rootly timeline: the top suspect changes, with a
link to the Slack message. Plain text: Rootly shows it as it is."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, timedelta

from bot.autopilot.context import Change, IncidentContext

# The changes named on the timeline; the Slack message has the rest.
TIMELINE_CHANGES = 5


def window_text(window: timedelta) -> str:
    """90 min, 24 h, 2 days: how long a look-back window is, in the largest whole unit."""
    minutes = int(window.total_seconds() // 60)
    if minutes % (24 * 60) == 0 and minutes > 24 * 60:
        return f"{minutes // (24 * 60)} days"
    if minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


def suspects(context: IncidentContext) -> tuple[Change, ...]:
    """The changes worth a responder's first look: the most recent ones."""
    return context.changes[:TIMELINE_CHANGES]


def new_suspects(context: IncidentContext, on_timeline: Collection[str]) -> list[Change]:
    return [change for change in suspects(context) if change.id not in on_timeline]


def timeline_text(context: IncidentContext, changes: Sequence[Change], link: str | None) -> str:
    span = window_text(context.window.end - context.window.start)
    lines = [f"Cortex: what changed in the {span} before this incident began (newest first):"]
    lines += [f"- {_line(change)}" for change in changes]
    others = len(context.changes) - len(changes)
    if others > 0:
        lines.append(f"and {others} more")
    if link:
        lines.append(f"Details in Slack: {link}")
    return "\n".join(lines)


def _line(change: Change) -> str:
    kind = change.kind.lower() if change.is_deploy else f"{change.kind} event"
    text = f"{change.when.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {change.tag}: {kind} {change.title}"
    if change.environment:
        text += f" to {change.environment}"
    if change.who:
        text += f" by {change.who}"
    if change.dependency_of:
        text += f" (a dependency of {change.dependency_of})"
    return text
