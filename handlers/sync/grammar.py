"""The arguments of `/cortex sync`: run, `dry-run`, `status`, `auto off|hourly|daily`, `fields`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.sync import SYNC_FREQUENCIES, SyncFrequency
from handlers.common.lexer import InvalidCommand, Word, expect_nothing, pick, split_options

SyncAction = Literal["run", "dry-run", "status", "auto", "fields"]
# A plain `sync` runs; these are the words that may follow it.
_SYNC_WORDS: tuple[SyncAction, ...] = ("dry-run", "status", "auto", "fields")
# What may follow `sync auto`: a frequency, or `off`.
_SCHEDULES: dict[str, SyncFrequency | None] = {
    "off": None,
    **{frequency: frequency for frequency in SYNC_FREQUENCIES},
}


@dataclass(frozen=True)
class SyncCommand:
    """`frequency` is for `auto`: how often to sync, or None to turn automatic syncs off."""

    action: SyncAction
    frequency: SyncFrequency | None = None


def parse_sync(arguments: Sequence[Word]) -> SyncCommand:
    plain, _ = split_options("sync", arguments)
    if not plain:
        return SyncCommand(action="run")
    action = pick(plain[0].text, _SYNC_WORDS, "`sync` takes")
    if action != "auto":
        expect_nothing(f"sync {action}", plain[1:])
        return SyncCommand(action=action)
    if len(plain) == 1:
        raise InvalidCommand(f"`sync auto` needs one of {', '.join(_SCHEDULES)}.")
    schedule = pick(plain[1].text, tuple(_SCHEDULES), "`sync auto` takes")
    expect_nothing(f"sync auto {schedule}", plain[2:])
    return SyncCommand(action="auto", frequency=_SCHEDULES[schedule])
