"""The Delivery Log's summary stays equal to the deliveries it counts; the log's queries never scan deliveries."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from services.db.schema import scheduled_messages
from services.domain import Actor
from tests import factories
from tests.explain import assert_no_scan_of_deliveries, filled_store, statements_about_deliveries

LEASE = timedelta(seconds=60)


def _same_as_live(store, actor, **filters):
    """The summary's figures equal the ones grouped over deliveries."""
    assert store.log.status_counts(actor, **filters) == store.log._live_status_counts(actor, **filters)
    assert store.log.per_day(actor, **filters) == store.log._live_per_day(actor, **filters)


def test_summary_follows_every_kind_of_write(store, clock):
    """Claims, outcomes, a support retry, a released deadline and a deleted message all keep it exact."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"C{i}", "UTC", []) for i in range(6)])
    ids = [c.id for c in people]
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    other = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    d = store.deliveries
    d.ensure_rows(message.id, coach.id, "once", [], {ids[5]: "inactive"})
    run = d.start_run(message.id, coach.id, "q", 0, "once", None)
    rows = d.claim_batch(message.id, coach.id, "once", ids[:5], ("q", 0, run, LEASE))
    clock.advance(hours=3)
    d.record_outcomes(
        [(rows[0][0], "c0"), (rows[1][0], "c1")], [(rows[2][0], "no", True), (rows[3][0], "later", False)]
    )
    d.mark_sent(rows[4][0], "c4")
    d.reopen([rows[2][0]])
    clock.advance(days=1)
    again = d.claim_batch(message.id, coach.id, "once", ids[:5], ("q", 1, run, LEASE))
    assert len(again) == 2
    d.release_unsent(run)
    run2 = d.start_run(other.id, coach.id, "q2", 0, "once", None)
    d.claim_batch(other.id, coach.id, "once", ids, ("q2", 0, run2, LEASE))
    actor = coach.as_actor()
    _same_as_live(store, actor)
    _same_as_live(store, actor, status="pending", since=clock() - timedelta(hours=2))
    with store.engine.begin() as conn:
        conn.execute(delete(scheduled_messages).where(scheduled_messages.c.id == other.id))
    _same_as_live(store, actor)
    assert store.log.status_counts(actor) == {"sent": 3, "pending": 2, "skipped": 1}


@pytest.mark.postgres
def test_log_queries_use_indexes_not_a_scan_of_deliveries(postgres_url, clock):
    """EXPLAIN every query the log page makes over 50,000 deliveries: no sequential scan of deliveries."""
    with filled_store(postgres_url, clock) as (store, coaches, support):
        with statements_about_deliveries(store.engine) as statements:
            for actor in (coaches[0].as_actor(), Actor(support.id, "support")):
                for filters in ({}, {"status": "failed"}, {"since": datetime.now(UTC) - timedelta(days=7)}):
                    store.log.status_counts(actor, **filters)
                    store.log.per_day(actor, **filters)
                    first = store.log.seek(actor, limit=25, **filters)
                    store.log.seek(actor, limit=25, after=(first[-1]["updated_at"], first[-1]["id"]), **filters)
        assert len(statements) == 24
        assert_no_scan_of_deliveries(store.engine, statements)


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"])
def test_chart_days_are_the_viewers_days(store, clock, zone):
    """Deliveries at 03:10 and 22:50 UTC on one UTC day fall on the viewer's own days: the summary (hourly) and
    the live count (quarter hours) agree in whole-hour zones and in +05:30, +05:45 and +10:30/+11 ones."""
    from zoneinfo import ZoneInfo

    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"C{i}", "UTC", []) for i in range(2)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    d = store.deliveries
    run = d.start_run(message.id, coach.id, "q", 0, "once", None)
    rows = d.claim_batch(message.id, coach.id, "once", [c.id for c in people], ("q", 0, run, LEASE))
    sent_at = []
    for (delivery_id, *_), at in zip(rows, ("2027-01-16T03:10", "2027-01-16T22:50"), strict=True):
        clock.now = datetime.fromisoformat(at).replace(tzinfo=UTC)
        d.mark_sent(delivery_id, f"chat-{delivery_id}")
        sent_at.append(clock.now)
    expected: dict[str, int] = {}
    for at in sent_at:
        day = at.astimezone(ZoneInfo(zone)).date().isoformat()
        expected[day] = expected.get(day, 0) + 1
    actor = coach.as_actor()
    shown = store.log.per_day(actor, zone, status="sent")
    assert {p["day"]: p["count"] for p in shown} == expected
    assert shown == store.log._live_per_day(actor, zone, status="sent")
    if zone == "America/New_York":
        assert expected == {"2027-01-15": 1, "2027-01-16": 1}  # 03:10 UTC is still the evening before there
