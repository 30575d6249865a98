"""The preview's notes on quiet hours and the daily cap, over the real store (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from services import preview
from services.compose import ScheduleRequest
from services.send_rules import SendRules
from tests import factories

NOW = datetime(2027, 1, 15, 11, 0, tzinfo=UTC)
# 07:30 in New York = 12:30 UTC: 12:30 in London, 21:30 in Tokyo.
FIRST = ScheduleRequest(body="Hi", kind="once", send_date=date(2027, 1, 15), send_time=time(7, 30))


def _rule_notes(store, coach, request):
    shown = preview.build(store, coach, request, NOW)
    return [n for n in shown.notes + shown.warnings if n.startswith(("Quiet", "Daily"))]


def test_no_rules_no_notes(store, coach, people):
    assert _rule_notes(store, coach, FIRST) == []


def test_it_says_how_many_are_in_quiet_hours_and_when_each_zone_gets_it(store, coach, people):
    store.send_rules.put(coach.id, SendRules(time(21), time(8)))
    assert _rule_notes(store, coach, FIRST) == [
        "Quiet hours: 2 of 3 clients are in theirs at the first send; held until those end: "
        "1 at Fri 15 Jan 08:00 (America/New_York), 1 at Sat 16 Jan 08:00 (Asia/Tokyo)."
    ]
    skip = ScheduleRequest(**{**FIRST.__dict__, "quiet_action": "skip"})
    assert _rule_notes(store, coach, skip) == [
        "Quiet hours: 2 of 3 clients are in theirs at the first send; this message skips them."
    ]
    # 09:00 in each client's own zone: nobody's night.
    daily = ScheduleRequest(body="Hi", kind="daily", send_time=time(9), zone_mode="client")
    assert _rule_notes(store, coach, daily) == []


def test_it_warns_when_the_new_rule_would_pass_the_daily_cap(store, coach, people):
    cy = people[2]
    actor = coach.as_actor()
    # Already planned for everyone: 18:00 New York daily (23:00 UTC) and once at 20:00 UTC on the 15th.
    daily = factories.once_values(store, coach, kind="daily", send_at=None, cron="0 18 * * *")
    store.messages.insert(actor, daily)
    store.messages.insert(actor, factories.once_values(store, coach, send_at=datetime(2027, 1, 15, 20, 0, tzinfo=UTC)))

    store.send_rules.put(coach.id, SendRules(daily_cap=3))
    assert _rule_notes(store, coach, FIRST) == []  # two planned + this one = three: within the cap

    store.send_rules.put(coach.id, SendRules(daily_cap=2))
    # Ann's and Ben's 15th hold both planned sends; Cy's (Tokyo) 15th ends at 15:00 UTC, before either.
    warning = (
        "Daily cap (2 a day): with this message, {} of 3 clients would get more scheduled messages than that on the "
        "day of the first send; the sends over the cap are skipped for them."
    )
    assert _rule_notes(store, coach, FIRST) == [warning.format(2)]

    store.send_rules.take_places([("none-1", cy.id, "2027-01-15"), ("none-2", cy.id, "2027-01-15")], 5, "cap")
    assert _rule_notes(store, coach, FIRST) == [warning.format(3)]  # Cy already got two today
