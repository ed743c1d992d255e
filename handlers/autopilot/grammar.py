"""The arguments of `/cortex incidents`: `auto on [#channel] [window=24h]`, `auto off`, `status`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.autopilot.setup import DEFAULT_WINDOW, MAX_WINDOW, parse_window
from handlers.common.lexer import InvalidCommand, Word, expect_nothing, pick, shown, split_options

AutopilotAction = Literal["on", "off", "status"]
# A channel ID as Slack writes them: public (C), private (G).
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{6,}")


@dataclass(frozen=True)
class AutopilotCommand:
    """`channel_id` is where to post when an incident has no channel of its own (None: the
    channel the command was typed in); `window` how far before an incident's start to look."""

    action: AutopilotAction
    channel_id: str | None = None
    window: timedelta = DEFAULT_WINDOW


def parse_incidents(arguments: Sequence[Word]) -> AutopilotCommand:
    plain, options = split_options("incidents auto on", arguments, ("window",))
    if not plain:
        raise InvalidCommand("`incidents` needs `auto on`, `auto off` or `status`.")
    first = pick(plain[0].text, ("auto", "status"), "`incidents` takes")
    if first == "status":
        return _alone("status", "incidents status", plain[1:], options)
    if len(plain) == 1:
        raise InvalidCommand("`incidents auto` needs `on` or `off`.")
    action = pick(plain[1].text, ("on", "off"), "`incidents auto` takes")
    if action == "off":
        return _alone("off", "incidents auto off", plain[2:], options)
    if len(plain) > 3:
        raise InvalidCommand("`incidents auto on` takes one channel at most.")
    channel = _channel(plain[2]) if len(plain) == 3 else None
    window = _window(options["window"]) if "window" in options else DEFAULT_WINDOW
    return AutopilotCommand(action="on", channel_id=channel, window=window)


def _alone(
    action: AutopilotAction, name: str, rest: Sequence[Word], options: dict[str, Word]
) -> AutopilotCommand:
    """An action that takes nothing more."""
    if options:
        raise InvalidCommand(f"`{name}` takes no options.")
    expect_nothing(name, rest)
    return AutopilotCommand(action=action)


def _channel(word: Word) -> str:
    if word.mention and word.mention.startswith("#"):
        return word.mention[1:]
    if _CHANNEL_ID.fullmatch(word.text):
        return word.text
    raise InvalidCommand(
        f"{shown(word.text)} is not a channel I can recognise: type `#` and pick the channel "
        "from Slack's list, so that Slack sends its ID."
    )


def _window(word: Word) -> timedelta:
    window = parse_window(word.text)
    if window is None:
        days = MAX_WINDOW.days
        raise InvalidCommand(
            f"`window=` takes a duration such as `90m`, `24h` or `2d` (at most {days} days), "
            f"not {shown(word.text)}."
        )
    return window
