"""The preview service behind the Message Scheduler's preview panel, over the seeded store."""

from datetime import UTC, date, datetime, time

import pytest

from services import preview
from services.compose import ScheduleRequest
from services.errors import UserError
from tests.ui.conftest import account

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def casey(seeded):
    return account(seeded, "coach@example.com")


def test_each_clients_own_zone_fires_per_zone_group(seeded, casey):
    """A daily 09:00 in each client's zone: the next sends are 09:00 local in each of the five client zones."""
    shown = preview.build(
        seeded.store, casey, ScheduleRequest(body="Hi", kind="daily", send_time=time(9), zone_mode="client"), NOW
    )
    assert shown.sentence == "At 09:00 in each client's own time zone"
    assert len(shown.zones) == 5
    assert len(shown.times) == 5
    assert all(t.local[t.group].endswith("09:00") for t in shown.times)
    assert shown.times == sorted(shown.times, key=lambda t: t.at)


def test_max_sends_and_end_date_limit_the_list(seeded, casey):
    """Two sends at most, ending on 3 March: the preview lists two sends and says when it stops."""
    shown = preview.build(
        seeded.store,
        casey,
        ScheduleRequest(body="Hi", kind="daily", send_time=time(9), end_date=date(2027, 3, 3), max_occurrences=2),
        NOW,
    )
    assert len(shown.times) == 2
    assert shown.notes == ["Stops after 03 Mar 2027 (America/New_York).", "Stops after 2 send(s)."]


def test_repeated_hour_on_fall_back_day_is_noted(seeded, casey):
    """01:30 on the first Sunday of November happens twice in New York: the preview says which one is used."""
    shown = preview.build(
        seeded.store, casey, ScheduleRequest(body="Hi", send_date=date(2027, 11, 7), send_time=time(1, 30)), NOW
    )
    assert any("happens twice" in w for w in shown.warnings)


def test_nonexistent_time_is_a_user_error(seeded, casey):
    """02:30 on 14 March 2027 does not exist in New York: the preview refuses it like the form does."""
    with pytest.raises(UserError, match="does not exist"):
        preview.build(
            seeded.store, casey, ScheduleRequest(body="Hi", send_date=date(2027, 3, 14), send_time=time(2, 30)), NOW
        )


def test_template_problem_becomes_a_warning(seeded, casey):
    """A misspelt field leaves no sample text and a warning naming the allowed fields."""
    shown = preview.build(
        seeded.store, casey, ScheduleRequest(body="Hi {firstname}", kind="daily", send_time=time(9)), NOW
    )
    assert shown.sample_text is None
    assert any("Unknown field {firstname}" in w for w in shown.warnings)
