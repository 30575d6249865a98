"""The Message Scheduler form's validation: each bad input gets its message and nothing is written."""

from datetime import date, time, timedelta

import pytest

from services import compose, templates
from services.compose import ScheduleRequest
from services.errors import UserError
from tests import factories


@pytest.fixture
def coach(store):
    """A New York coach with two clients, one tagged vip."""
    owner = factories.coach(store)
    factories.clients(store, owner, [("Ann Apple", "America/New_York", ["vip"]), ("Ben Birch", "Europe/London", [])])
    return owner


def _tomorrow(clock):
    return (clock() + timedelta(days=1)).date()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"body": "   "}, "body", "Write the message text first."),
        ({"body": "x" * 5001}, "body", "The message is 5,001 characters; the limit is 5,000."),
        ({"body": "Hi {nickname}"}, "body", "Unknown field {nickname}"),
        ({"body": "Hi {first_name"}, "body", "unmatched { or }"),
        ({"send_date": date(2027, 1, 14)}, "send_at", "That time is in the past."),
        ({"send_date": date(2027, 3, 14), "send_time": time(2, 30)}, "send_at", "02:30 does not exist on 14 Mar 2027"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Unknown time zone 'Mars/Olympus'"),
        ({"kind": "cron", "cron": "0 25 * * *"}, "cron", "is not a valid cron rule"),
        ({"target": "tag", "target_tag": "gold"}, "target_tag", "No client has the tag 'gold'."),
        ({"target": "clients", "client_ids": []}, "client_ids", "Choose at least one client."),
        ({"target": "clients", "client_ids": ["nope"]}, "client_ids", "Unknown client id nope"),
        ({"kind": "weekly", "weekdays": []}, "weekdays", "Pick at least one weekday"),
        ({"kind": "daily", "end_date": date(2027, 1, 1)}, "end_date", "The end date is in the past."),
        ({"kind": "daily", "max_occurrences": 0}, "max_occurrences", "at least 1"),
    ],
)
def test_bad_input_is_refused_with_its_message(store, coach, clock, change, field, message):
    """The coach sees what is wrong and with which field; no row is written."""
    request = ScheduleRequest(body="Hi {first_name}", send_date=_tomorrow(clock), send_time=time(9))
    for key, value in change.items():
        setattr(request, key, value)
    with pytest.raises(UserError) as error:
        compose.validate(store, coach.as_actor(), request, coach.timezone, clock())
    assert message in error.value.message
    assert error.value.field == field
    assert store.messages.list(coach.as_actor())[1] == 0


def test_another_coachs_client_is_unknown(store, coach, clock):
    """Choosing a client id of another coach is refused as unknown."""
    other = factories.coach(store, "other@example.com")
    [foreign] = factories.clients(store, other, [("Zed", "UTC", [])])
    request = ScheduleRequest(
        body="Hi", target="clients", client_ids=[foreign.id], send_date=_tomorrow(clock), send_time=time(9)
    )
    with pytest.raises(UserError, match="not your client"):
        compose.validate(store, coach.as_actor(), request, coach.timezone, clock())


def test_valid_requests_become_store_values(store, coach, clock):
    """A once message gets a UTC send time; a weekly one a cron rule and its first run."""
    once, _ = compose.validate(
        store,
        coach.as_actor(),
        ScheduleRequest(body="Hi {first_name}", send_date=date(2027, 7, 1), send_time=time(9)),
        coach.timezone,
        clock(),
    )
    assert once["send_at"].isoformat() == "2027-07-01T13:00:00+00:00"
    weekly, _ = compose.validate(
        store,
        coach.as_actor(),
        ScheduleRequest(body="Hi", kind="weekly", weekdays=[0], send_time=time(10)),
        coach.timezone,
        clock(),
    )
    assert weekly["cron"] == "0 10 * * 1"
    assert weekly["next_run_at"].isoformat() == "2027-01-18T15:00:00+00:00"


def test_template_renders_per_client(store, coach):
    """{first_name}, {name} and {coach_name} are filled in per client."""
    ann = store.clients.list(coach.as_actor(), tag="vip")[0]
    assert templates.render("Hi {first_name} ({name}) — {coach_name}", ann, "Casey") == "Hi Ann (Ann Apple) — Casey"


def test_each_clients_time_must_be_ahead_in_every_zone(store, coach, clock):
    """09:00 today in New York may be ahead there but already past in London: refused, naming the zone."""
    today = clock().date()  # 2027-01-15, 12:00 UTC: 09:00 London has passed, 09:00 New York (14:00 UTC) has not
    request = ScheduleRequest(body="Hi", send_date=today, send_time=time(9), zone_mode="client")
    with pytest.raises(UserError, match="has already passed in Europe/London"):
        compose.validate(store, coach.as_actor(), request, coach.timezone, clock())
