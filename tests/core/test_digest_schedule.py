"""When digests are due: local times in the scheduler's zone, daylight saving, weekly days."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.digests import Recurrence, recurrence_for, zone_or_utc

LOS_ANGELES = "America/Los_Angeles"
WINTER = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)  # a Thursday; 02:00 in Los Angeles
NINE = time(9, 0)


def test_nine_in_los_angeles_in_winter_is_five_pm_utc() -> None:
    daily = recurrence_for("daily", NINE, None, LOS_ANGELES, WINTER)

    assert daily.next_after(WINTER) == datetime(2026, 1, 15, 17, 0, tzinfo=UTC)


def test_nine_in_los_angeles_in_summer_is_four_pm_utc() -> None:
    summer = datetime(2026, 7, 15, 10, 0, tzinfo=UTC)

    daily = recurrence_for("daily", NINE, None, LOS_ANGELES, summer)

    assert daily.next_after(summer) == datetime(2026, 7, 15, 16, 0, tzinfo=UTC)


def test_the_local_time_holds_across_the_change_to_daylight_saving() -> None:
    daily = Recurrence("daily", NINE, LOS_ANGELES)
    before = datetime(2026, 3, 7, 18, 0, tzinfo=UTC)  # clocks go forward on Sunday 8 March

    sunday = daily.next_after(before)

    assert sunday == datetime(2026, 3, 8, 16, 0, tzinfo=UTC)
    assert daily.latest_at(sunday) == sunday
    assert daily.latest_at(before) == datetime(2026, 3, 7, 17, 0, tzinfo=UTC)


def test_a_local_time_the_clock_change_skips_falls_an_hour_later() -> None:
    early = Recurrence("daily", time(2, 30), LOS_ANGELES)

    slot = early.next_after(datetime(2026, 3, 8, 0, 0, tzinfo=UTC))

    assert slot == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)  # 03:30 PDT


def test_the_default_time_is_nine() -> None:
    assert recurrence_for("daily", None, None, "UTC", WINTER).at == NINE


def test_a_weekly_digest_posts_on_the_day_it_was_created_where_its_creator_is() -> None:
    friday_in_utc = datetime(2026, 1, 16, 3, 0, tzinfo=UTC)  # still Thursday evening in LA

    weekly = recurrence_for("weekly", NINE, None, LOS_ANGELES, friday_in_utc)

    assert weekly.weekday == 3
    assert weekly.next_after(friday_in_utc) == datetime(2026, 1, 22, 17, 0, tzinfo=UTC)
    assert weekly.describe() == "weekly on Thursday at 09:00 (America/Los_Angeles)"


def test_a_weekly_digest_on_a_given_day() -> None:
    weekly = recurrence_for("weekly", time(8, 30), 0, "Europe/Paris", WINTER)

    assert weekly.next_after(WINTER) == datetime(2026, 1, 19, 7, 30, tzinfo=UTC)
    assert weekly.latest_at(WINTER) == datetime(2026, 1, 12, 7, 30, tzinfo=UTC)


def test_a_daily_digest_ignores_any_weekday() -> None:
    assert recurrence_for("daily", NINE, 4, "UTC", WINTER).weekday is None


def test_the_slot_itself_is_due_and_the_next_one_is_a_period_later() -> None:
    daily = Recurrence("daily", NINE, "UTC")
    slot = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

    assert daily.latest_at(slot) == slot
    assert daily.next_after(slot) == datetime(2026, 1, 16, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("zone", [None, "", "Mars/Olympus_Mons", "../etc/passwd"])
def test_a_missing_or_unknown_zone_means_utc(zone: str | None) -> None:
    assert zone_or_utc(zone) == "UTC"


def test_a_known_zone_is_kept() -> None:
    assert zone_or_utc(LOS_ANGELES) == LOS_ANGELES
