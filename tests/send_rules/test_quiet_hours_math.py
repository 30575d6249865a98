"""Quiet hours worked out in each client's zone, across DST changes (pure: no store)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from services.send_rules import SendRules, local_day

NIGHT = SendRules(time(21), time(8))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        # New York springs forward on 2026-03-08: 01:00 EST is 06:00 UTC, 08:00 that morning is EDT (12:00 UTC).
        (utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 12, 0)),
        # 21:30 EST the evening before: the night is an hour shorter, it still ends at 08:00 EDT.
        (utc(2026, 3, 8, 2, 30), utc(2026, 3, 8, 12, 0)),
        # New York falls back on 2026-11-01: 01:30 EDT (the first one) ends at 08:00 EST (13:00 UTC).
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 13, 0)),
        (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 13, 0)),  # 01:30 EST, the second one
        (utc(2026, 11, 1, 12, 59), utc(2026, 11, 1, 13, 0)),  # 07:59 EST
        (utc(2026, 11, 1, 13, 0), None),  # 08:00 EST: awake
        (utc(2026, 10, 31, 12, 0), None),  # 08:00 EDT the day before: awake
        (utc(2026, 11, 1, 1, 0), utc(2026, 11, 1, 13, 0)),  # 21:00 EDT on the 31st: the night spans the change
        (utc(2026, 3, 8, 0, 59), None),  # 19:59 EST on the 7th
    ],
)
def test_quiet_hours_in_new_york_across_both_dst_changes(now, ends):
    assert NIGHT.quiet_until("America/New_York", now) == ends


def test_one_instant_is_quiet_in_some_zones_and_not_in_others():
    now = utc(2027, 1, 15, 12, 0)  # 07:00 in New York, 12:00 in London, 21:00 in Tokyo
    assert NIGHT.quiet_until("America/New_York", now) == utc(2027, 1, 15, 13, 0)
    assert NIGHT.quiet_until("Europe/London", now) is None
    assert NIGHT.quiet_until("Asia/Tokyo", now) == utc(2027, 1, 15, 23, 0)  # 08:00 JST on the 16th


def test_a_daytime_window_and_no_window():
    lunch = SendRules(time(12), time(13, 30))
    assert lunch.quiet_until("UTC", utc(2027, 1, 15, 12, 15)) == utc(2027, 1, 15, 13, 30)
    assert lunch.quiet_until("UTC", utc(2027, 1, 15, 13, 30)) is None
    assert lunch.quiet_until("UTC", utc(2027, 1, 15, 11, 59)) is None
    assert SendRules().quiet_until("UTC", utc(2027, 1, 15, 3, 0)) is None
    assert SendRules(time(8), time(8)).quiet_until("UTC", utc(2027, 1, 15, 8, 0)) is None


def test_the_cap_counts_the_clients_own_calendar_day():
    now = utc(2027, 1, 15, 20, 0)
    assert local_day("Europe/London", now) == "2027-01-15"
    assert local_day("Asia/Tokyo", now) == "2027-01-16"
    assert local_day("Pacific/Honolulu", utc(2027, 1, 16, 9, 0)) == "2027-01-15"
    assert SendRules(daily_cap=3).cap_reason() == "frequency cap: 3 a day"
