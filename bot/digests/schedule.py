"""When a digest is due: a local time of day (and day of the week) in the digest's time zone.

Slots are computed in the digest's own zone, so 09:00 stays 09:00 for its readers across daylight
saving changes, and handed back as UTC instants. A local time that a clock change skips (02:30 on
the night clocks go forward) falls an hour later; one that happens twice counts once, the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DigestFrequency = Literal["daily", "weekly"]
DIGEST_FREQUENCIES: tuple[DigestFrequency, ...] = get_args(DigestFrequency)
PERIODS: dict[DigestFrequency, timedelta] = {
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}
DEFAULT_TIME = time(9, 0)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FALLBACK_ZONE = "UTC"
# Enough local days either side of a moment to hold the slot before it and the slot after it.
_SEARCH_DAYS = 8


def zone_or_utc(name: str | None) -> str:
    """The IANA zone Slack reported for a person, or UTC when it is missing or unknown."""
    if not name:
        return FALLBACK_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return FALLBACK_ZONE
    return name


@dataclass(frozen=True)
class Recurrence:
    frequency: DigestFrequency
    at: time
    zone: str
    weekday: int | None = None  # weekly digests only; 0 is Monday, as `date.weekday()`

    @property
    def period(self) -> timedelta:
        return PERIODS[self.frequency]

    def next_after(self, moment: datetime) -> datetime:
        """The first slot strictly after `moment`."""
        return min(slot for slot in self._slots_around(moment) if slot > moment)

    def latest_at(self, moment: datetime) -> datetime:
        """The last slot at or before `moment`."""
        return max(slot for slot in self._slots_around(moment) if slot <= moment)

    def describe(self) -> str:
        day = f" on {DAY_NAMES[self.weekday]}" if self.weekday is not None else ""
        return f"{self.frequency}{day} at {self.at:%H:%M} ({self.zone})"

    def _slots_around(self, moment: datetime) -> Iterator[datetime]:
        today = moment.astimezone(ZoneInfo(self.zone)).date()
        for offset in range(-_SEARCH_DAYS, _SEARCH_DAYS + 1):
            day = today + timedelta(days=offset)
            if self.weekday is None or day.weekday() == self.weekday:
                yield self._slot_on(day)

    def _slot_on(self, day: date) -> datetime:
        local = datetime.combine(day, self.at, tzinfo=ZoneInfo(self.zone))
        return local.astimezone(UTC)


def recurrence_for(
    frequency: DigestFrequency, at: time | None, weekday: int | None, zone: str, now: datetime
) -> Recurrence:
    """A new schedule: 09:00 unless told; weekly ones on today's weekday in `zone` unless told."""
    if frequency == "weekly" and weekday is None:
        weekday = now.astimezone(ZoneInfo(zone)).weekday()
    return Recurrence(
        frequency=frequency,
        at=DEFAULT_TIME if at is None else at,
        zone=zone,
        weekday=weekday if frequency == "weekly" else None,
    )
