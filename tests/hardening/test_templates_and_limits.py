"""Hardening, message templates and limits (items 10–12): only bare fields, the limit after personalisation,
and a confirmation for rules that send more often than the minimum interval."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import compose, preview, templates
from services.compose import ScheduleRequest
from services.delivery import DeliveryService
from services.domain import Client
from services.errors import UserError
from services.pacing import Pacer
from tests import factories


@pytest.fixture
def coach(store):
    """A coach with two clients, one with a long name."""
    owner = factories.coach(store, name="Casey Coach")
    factories.clients(store, owner, [("Ann Apple", "UTC", []), ("Bartholomew " + "Q" * 100, "UTC", ["long"])])
    return owner


def _daily(body: str, **extra) -> ScheduleRequest:
    """A daily 09:00 request."""
    from datetime import time

    return ScheduleRequest(body=body, kind="daily", send_time=time(9), **extra)


@pytest.mark.parametrize(
    "body",
    ["Hi {first_name:>100000000}", "Hi {first_name:%}", "Hi {name!r}", "Hi {name:{coach_name}}", "Hi {name[0]}"],
)
def test_10_format_specs_and_conversions_are_refused(store, coach, clock, body):
    """Only bare {field} placeholders: a spec, conversion or index is refused when saving and in the preview,
    and nothing is written."""
    with pytest.raises(UserError, match=r"Write fields plainly|Unknown field") as raised:
        compose.validate(store, coach.as_actor(), _daily(body), coach.timezone, clock())
    assert raised.value.field == "body"
    shown = preview.build(store, store.accounts.get(coach.id), _daily(body), clock())
    assert shown.sample_text is None
    assert any("plainly" in w or "Unknown field" in w for w in shown.warnings)
    assert store.messages.list(coach.as_actor())[1] == 0


def test_10_rendering_never_raises_at_send_time(store, coach, clock):
    """A stored body that slipped past validation (an older version, a direct write) is sent as written: the
    fan-out records a delivery, it never raises and leaves rows pending forever."""
    ann = Client("c", coach.id, "Ann Apple", "client-c", "UTC", True)
    for body in ("Hi {first_name:%}", "Hi {first_name:>100000000}", "{", "Hi {first_name}"):
        text = templates.render(body, ann, "Casey")
        assert len(text) < 100
    assert templates.render("Hi {first_name} — {coach_name}", ann, "Casey") == "Hi Ann — Casey"
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach, body="Hi {first_name:%}"))
    sent = []

    class Chat:
        name = "recording"

        def prepare_users(self, users):
            """Nothing to prepare."""

        def send(self, outgoing):
            sent.append(outgoing.text)
            from services.chat.port import SendResult

            return SendResult(outgoing.message_id)

    answer = DeliveryService(store, Chat(), Pacer(0), clock, on_finished=lambda m: None).fire(
        {"messageId": message.id, "coachId": coach.id}, "msg_1", 0
    )
    assert answer.status == 200
    assert sorted(sent) == ["Hi {first_name:%}", "Hi {first_name:%}"]


def test_11_the_limit_holds_after_personalisation(store, coach, clock):
    """A 4,900-character template with {name} is refused for the client whose name makes it too long, naming
    them; the same text to a tag without that client is fine."""
    body = "x" * 4_900 + " {name}"
    with pytest.raises(UserError, match=r"Personalised for Bartholomew Q+, the message is 5,013 characters") as e:
        compose.validate(store, coach.as_actor(), _daily(body), coach.timezone, clock())
    assert e.value.field == "body"
    factories.clients(store, coach, [("Cy Cedar", "UTC", ["short"])])
    values, _ = compose.validate(
        store, coach.as_actor(), _daily(body, target="tag", target_tag="short"), coach.timezone, clock()
    )
    assert len(values["body"]) == 4_907


@pytest.mark.parametrize(("cron", "gap"), [("*/5 * * * *", "5 minutes"), ("0,30 9 * * 1", "30 minutes")])
def test_12_a_rule_more_frequent_than_hourly_needs_confirmation(store, coach, clock, cron, gap):
    """Every 5 minutes, or twice within an hour on Mondays: refused until the coach confirms."""
    request = ScheduleRequest(body="Hi", kind="cron", cron=cron)
    with pytest.raises(UserError, match=f"sends as often as every {gap}, more often than every 1 hour") as e:
        compose.validate(store, coach.as_actor(), request, coach.timezone, clock())
    assert e.value.field == "confirm_frequent"
    request.confirm_frequent = True
    values, _ = compose.validate(store, coach.as_actor(), request, coach.timezone, clock())
    assert values["cron"] == cron
    hourly = ScheduleRequest(body="Hi", kind="cron", cron="0 * * * *")
    assert compose.validate(store, coach.as_actor(), hourly, coach.timezone, clock())[0]["cron"] == "0 * * * *"
    stricter = timedelta(hours=2)
    with pytest.raises(UserError, match="more often than every 2 hours"):
        compose.validate(store, coach.as_actor(), hourly, coach.timezone, clock(), stricter)


def test_12_day_of_month_and_weekday_together_are_explained(store, coach, clock):
    """`0 0 30 2 1` reads like '30 February, a Monday' but cron sends on every Monday of February: the preview
    says so in words before saving."""
    shown = preview.build(
        store, store.accounts.get(coach.id), ScheduleRequest(body="Hi", kind="cron", cron="0 0 30 2 1"), clock()
    )
    assert any("EITHER the day of the month (30) OR the weekday (1)" in n for n in shown.notes)
    assert all(t.local["America/New_York"].startswith("Mon") for t in shown.times)
