"""Recurrence: cron from the forms, validation messages, next occurrences in a zone, sentences, DST."""

from datetime import UTC, date, datetime, time

import pytest

from services import recurrence
from services.errors import UserError


@pytest.mark.parametrize(
    ("kind", "weekdays", "expected"),
    [
        ("daily", None, "0 9 * * *"),
        ("weekly", [0], "0 9 * * 1"),
        ("weekly", [6, 0, 2], "0 9 * * 1,3,0"),
    ],
)
def test_cron_from_simple_forms(kind, weekdays, expected):
    """Daily and weekly forms become cron rules (Monday = 0 in the form, 1 in cron)."""
    assert recurrence.cron_for(kind, time(9, 0), weekdays) == expected


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("0 9 * *", "A cron rule has 5 fields"),
        ("61 * * * *", "is not a valid cron rule"),
        ("0 9 30 2 *", "never fires"),
        ("CRON_TZ=UTC 0 9 * * *", "Leave out CRON_TZ="),
        ("", "A cron rule has 5 fields"),
    ],
)
def test_invalid_cron_says_what_is_wrong(rule, message):
    """Each bad rule gets a message the coach can act on."""
    with pytest.raises(UserError, match=message):
        recurrence.validate_cron(rule)


def test_weekly_without_days_is_refused():
    """A weekly message needs a weekday."""
    with pytest.raises(UserError, match="at least one weekday"):
        recurrence.cron_for("weekly", time(9), [])


@pytest.mark.parametrize(
    ("start", "expected_hour"),
    [
        (datetime(2027, 7, 1, tzinfo=UTC), 13),
        (datetime(2027, 1, 1, tzinfo=UTC), 14),
    ],
)
def test_daily_nine_am_new_york_keeps_wall_clock(start, expected_hour):
    """09:00 America/New_York is 13:00 UTC in July and 14:00 UTC in January."""
    [first] = recurrence.next_occurrences("0 9 * * *", "America/New_York", start, 1)
    assert first.at.hour == expected_hour
    assert first.slot.endswith("T09:00")


def test_next_occurrences_across_spring_forward_report_the_shift():
    """02:30 does not exist on 14 Mar 2027 in New York: that occurrence is flagged, not silently moved."""
    found = recurrence.next_occurrences("30 2 * * *", "America/New_York", datetime(2027, 3, 12, tzinfo=UTC), 4)
    assert [o.shifted for o in found] == [False, False, True, False]
    assert recurrence.dst_gaps("30 2 * * *", "America/New_York", datetime(2027, 1, 1, tzinfo=UTC)) == ["2027-03-14"]


def test_fall_back_repeated_hour_fires_once():
    """01:30 happens twice on 7 Nov 2027 in New York; the rule yields one slot that day."""
    found = recurrence.next_occurrences("30 1 * * *", "America/New_York", datetime(2027, 11, 6, 12, tzinfo=UTC), 3)
    assert [o.slot for o in found] == ["2027-11-07T01:30", "2027-11-08T01:30", "2027-11-09T01:30"]


def test_nonexistent_local_time_is_an_error():
    """A one-time send at 02:30 on a spring-forward day is refused with a reason."""
    with pytest.raises(UserError, match="02:30 does not exist on 14 Mar 2027 in America/New_York"):
        recurrence.local_to_utc(date(2027, 3, 14), time(2, 30), "America/New_York")


def test_local_to_utc_and_unknown_zone():
    """Local times convert to UTC; an unknown zone is named in the error."""
    assert recurrence.local_to_utc(date(2027, 7, 1), time(9), "Europe/London") == datetime(2027, 7, 1, 8, tzinfo=UTC)
    with pytest.raises(UserError, match="Unknown time zone 'Europe/Londn'"):
        recurrence.local_to_utc(date(2027, 7, 1), time(9), "Europe/Londn")


@pytest.mark.parametrize(
    ("rule", "sentence"),
    [
        ("0 9 * * 1", "At 09:00, only on Monday"),
        ("0 9 * * *", "At 09:00"),
        ("*/15 8-17 * * 1-5", "Every 15 minutes, between 08:00 and 17:59, Monday through Friday"),
    ],
)
def test_human_sentence(rule, sentence):
    """Any rule reads as a sentence."""
    assert recurrence.describe(rule) == sentence


def test_previous_slot_maps_a_late_firing_to_its_occurrence():
    """A firing a few seconds late still belongs to the 09:00 occurrence."""
    occurrence = recurrence.previous_slot("0 9 * * *", "Asia/Tokyo", datetime(2027, 1, 15, 0, 0, 30, tzinfo=UTC))
    assert occurrence.slot == "2027-01-15T09:00"
