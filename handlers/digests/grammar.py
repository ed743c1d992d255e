"""The arguments of `/cortex digest`:
`daily|weekly [at HH:MM] [group=G] [owner=TEAM] [env=E] [on=DAY]`, or `list`, `off`, `now`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Literal

from bot.digests import DIGEST_FREQUENCIES, DigestFrequency, Scope
from bot.digests.environments import asked_environment
from bot.digests.schedule import DAY_NAMES
from handlers.common.lexer import (
    InvalidCommand,
    Word,
    expect_nothing,
    joined,
    option,
    pick,
    shown,
    split_options,
)

DigestAction = Literal["schedule", "list", "off", "now"]


@dataclass(frozen=True)
class DigestCommand:
    """`weekday` counts from 0 for Monday, like `datetime.date.weekday()`."""

    action: DigestAction
    frequency: DigestFrequency | None = None
    at: time | None = None
    group: str | None = None
    owner: str | None = None
    environment: str | None = None
    weekday: int | None = None


# What the word after `digest` means: an action, and for a schedule its frequency.
_DIGEST_WORDS: dict[str, tuple[DigestAction, DigestFrequency | None]] = {
    **{frequency: ("schedule", frequency) for frequency in DIGEST_FREQUENCIES},
    "list": ("list", None),
    "off": ("off", None),
    "now": ("now", None),
}
_TIME = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_digest(arguments: Sequence[Word]) -> DigestCommand:
    if not arguments or arguments[0].key is not None:
        raise InvalidCommand(f"`digest` needs one of {', '.join(_DIGEST_WORDS)}.")
    word = pick(arguments[0].text, tuple(_DIGEST_WORDS), "`digest` takes")
    action, frequency = _DIGEST_WORDS[word]
    if frequency is None:
        expect_nothing(f"digest {word}", arguments[1:])
        return DigestCommand(action=action)
    plain, options = split_options("digest", arguments[1:], ("group", "owner", "env", "on"))
    weekday = option(options, "on")
    if weekday is not None and frequency == "daily":
        raise InvalidCommand("The option `on=` only applies to weekly digests.")
    return DigestCommand(
        action=action,
        frequency=frequency,
        at=_digest_time(plain),
        group=option(options, "group", _scope_tag),
        owner=option(options, "owner", _scope_tag),
        environment=option(options, "env", _environment),
        weekday=None if weekday is None else _weekday(weekday),
    )


def _digest_time(plain: Sequence[Word]) -> time | None:
    """The optional `at HH:MM`, the only plain words a digest schedule takes."""
    if not plain:
        return None
    if plain[0].text.lower() != "at":
        raise InvalidCommand(f"`digest` does not understand {shown(joined(plain))}.")
    if len(plain) == 1:
        raise InvalidCommand("`at` needs a time as HH:MM.")
    expect_nothing(f"at {plain[1].text}", plain[2:])
    clock = _TIME.fullmatch(plain[1].text)
    if clock is None:
        raise InvalidCommand(f"`at` needs a 24-hour time as HH:MM, not {shown(plain[1].text)}.")
    return time(hour=int(clock.group(1)), minute=int(clock.group(2)))


def _scope_tag(word: Word) -> str:
    if len(word.text) > Scope.MAX_TAG:
        raise InvalidCommand(f"`{word.key}=` takes a tag of at most {Scope.MAX_TAG} characters.")
    return word.text


def _environment(word: Word) -> str:
    """The environment as deploys are matched to it, so `env=PROD` and `env=production` are one
    scope (one digest, which the second replaces)."""
    return asked_environment(_scope_tag(word))


def _weekday(day: str) -> int:
    for number, name in enumerate(DAY_NAMES):
        if day.lower() in (name.lower(), name[:3].lower()):
            return number
    raise InvalidCommand(
        f"The option `on=` needs a day of the week (mon to sun), not {shown(day)}."
    )
