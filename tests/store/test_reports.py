"""The reports' queries on SQLite and PostgreSQL: failure groups of a week, group retry, a month's schedule audit."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services import reports as windows
from services.db.schema import audit_events, deliveries
from services.delivery_log import DeliveryLogService
from services.errors import Forbidden, UserError
from services.reports import ReportService
from tests import factories
from tests.explain import assert_no_scan_of_deliveries, filled_store, statements_about_deliveries
from tests.failures import fail, send
from tests.fakes import RecordingScheduler

WEEK = (datetime(2027, 1, 9, tzinfo=UTC), datetime(2027, 1, 16, tzinfo=UTC))


@pytest.fixture
def world(store, clock):
    """Casey (two messages, Ann, Ben, Cat) and Morgan (Dan); support Sky; failures inside and outside the week."""
    casey, morgan = factories.coach(store), factories.coach(store, "m@example.com", "Europe/London", "Morgan")
    sky = factories.support(store)
    ann, ben, cat = factories.clients(store, casey, [("Ann", "UTC", []), ("Ben", "UTC", []), ("Cat", "UTC", [])])
    [dan] = factories.clients(store, morgan, [("Dan", "UTC", [])])
    m_casey = store.messages.insert(casey.as_actor(), factories.once_values(store, casey, title="Tips"))
    m_morgan = store.messages.insert(morgan.as_actor(), factories.once_values(store, morgan, title="Hello"))
    clock.now = WEEK[0] - timedelta(microseconds=1)  # the last instant before the week: outside it
    old = fail(store, m_casey.id, casey.id, "s0", {cat.id: "frozen"})
    clock.now = WEEK[0]  # its first instant: inside
    first = fail(store, m_casey.id, casey.id, "s1", {ann.id: "frozen", ben.id: "frozen"})
    clock.now = datetime(2027, 1, 12, tzinfo=UTC)
    dans = fail(store, m_morgan.id, morgan.id, "s1", {dan.id: "frozen"})
    banned = fail(store, m_casey.id, casey.id, "s2", {ann.id: "=banned"})
    clock.now = WEEK[1]  # the week's end is the next week's start: outside
    late = fail(store, m_morgan.id, morgan.id, "s3", {dan.id: "frozen"})
    clock.now = datetime(2027, 1, 15, 12, tzinfo=UTC)
    scheduler = RecordingScheduler()
    service = ReportService(store, DeliveryLogService(store, scheduler, clock), clock)
    return locals()


def test_failures_of_the_week_grouped_by_reason_coach_and_client(world):
    """Three groupings of the same four failures; the one before the week and the one at its end are left out."""
    review = world["service"].failure_review(world["sky"].as_actor(), *WEEK)
    shape = {by: [(r["label"], r["coach"], r["failures"], r["messages"]) for r in rows] for by, rows in review.items()}
    assert shape == {
        "reason": [("frozen", "", 3, 2), ("=banned", "", 1, 1)],
        "coach": [("Casey Coach", "", 3, 1), ("Morgan", "", 1, 1)],
        "client": [("Ann", "Casey Coach", 2, 1)]
        + [
            (c.name, owner, 1, 1)
            for c, owner in sorted([(world["ben"], "Casey Coach"), (world["dan"], "Morgan")], key=lambda p: p[0].id)
        ],
    }
    assert review["reason"][0]["last"] == datetime(2027, 1, 12, tzinfo=UTC)


def test_a_group_is_exactly_its_failed_rows(world):
    """The "frozen" group of the week: Ann's and Ben's first occurrence and Dan's, not Cat's older one."""
    ids = world["service"].group_ids(world["sky"].as_actor(), *WEEK, "reason", "frozen")
    expected = [world["first"][world["ann"].id], world["first"][world["ben"].id], world["dans"][world["dan"].id]]
    assert ids == sorted(expected)
    by_client = world["service"].group_ids(world["sky"].as_actor(), *WEEK, "client", world["ann"].id)
    assert sorted(by_client) == sorted([world["first"][world["ann"].id], world["banned"][world["ann"].id]])


def test_retrying_a_group_reopens_only_it_fires_its_occurrences_and_audits(world, store):
    """Sky retries "frozen": those three are pending, each occurrence fires once more, each message gets one
    audit entry with its count; a second retry of the same ids has nothing left to do."""
    sky, service = world["sky"].as_actor(), world["service"]
    ids = service.group_ids(sky, *WEEK, "reason", "frozen")
    assert service.retry_group(sky, ids) == 3
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(select(deliveries.c.id, deliveries.c.status)).all())
        events = conn.execute(
            select(audit_events.c.message_id, audit_events.c.actor_id, audit_events.c.new_values).where(
                audit_events.c.action == "retry"
            )
        ).all()
    assert {i for i, s in statuses.items() if s == "pending"} == set(ids)
    assert statuses[world["old"][world["cat"].id]] == statuses[world["banned"][world["ann"].id]] == "failed"
    fired = sorted((f.message_id, f.slot) for f, _, _ in world["scheduler"].published)
    assert fired == sorted([(world["m_casey"].id, "s1"), (world["m_morgan"].id, "s1")])
    assert sorted((m, a, v) for m, a, v in events) == sorted(
        [
            (world["m_casey"].id, sky.account_id, '{"retried": 2}'),
            (world["m_morgan"].id, sky.account_id, '{"retried": 1}'),
        ]
    )
    with pytest.raises(UserError, match="nothing to retry"):
        service.retry_group(sky, ids)
    assert len(world["scheduler"].published) == 2


def test_a_coach_gets_no_report(world):
    """Reports read across coaches: a coach is refused by the service itself, not only by the menu."""
    with pytest.raises(Forbidden):
        world["service"].failure_review(world["casey"].as_actor(), *WEEK)
    with pytest.raises(Forbidden):
        world["service"].retry_group(world["casey"].as_actor(), [world["first"][world["ann"].id]])


def test_two_retries_racing_for_one_group_reopen_each_row_once(world, store):
    """Two support staff press Yes at the same moment: every row is reopened by exactly one of them."""
    ids = world["service"].group_ids(world["sky"].as_actor(), *WEEK, "reason", "frozen")
    results, gate = [], threading.Barrier(2)

    def retry():
        gate.wait()
        results.append([row.id for row in store.deliveries.reopen(ids, actor_id=world["sky"].id)])

    threads = [threading.Thread(target=retry) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results[0] + results[1]) == sorted(ids)


def test_a_week_and_a_month_start_at_local_midnight():
    """In Kolkata a month starts at 18:30 UTC the day before; a week is seven local days."""
    assert windows.month(2027, 1, "Asia/Kolkata") == (
        datetime(2026, 12, 31, 18, 30, tzinfo=UTC),
        datetime(2027, 1, 31, 18, 30, tzinfo=UTC),
    )
    since, until = windows.week(datetime(2027, 3, 8).date(), "America/New_York")  # DST starts on the 14th
    assert (since.astimezone(UTC), until.astimezone(UTC)) == (
        datetime(2027, 3, 8, 5, tzinfo=UTC),
        datetime(2027, 3, 15, 4, tzinfo=UTC),
    )
    assert windows.month(2027, 12, "UTC")[1] == datetime(2028, 1, 1, tzinfo=UTC)


def test_sends_in_a_month_that_starts_on_a_half_hour_are_exact(store, clock):
    """The summary's whole hours plus the part-hours at each end: exactly the sends inside the month."""
    casey = factories.coach(store)
    people = factories.clients(store, casey, [(f"C{i}", "UTC", []) for i in range(5)])
    message = store.messages.insert(casey.as_actor(), factories.once_values(store, casey))
    since, until = windows.month(2027, 1, "Asia/Kolkata")
    times = {
        "before": since - timedelta(minutes=20),
        "first-edge": since + timedelta(minutes=10),
        "middle": datetime(2027, 1, 15, 12, tzinfo=UTC),
        "last-edge": until - timedelta(minutes=10),
        "after": until + timedelta(minutes=15),
    }
    for n, (slot, at) in enumerate(times.items()):
        clock.now = at
        send(store, message.id, casey.id, slot, [people[n].id])
    clock.now = datetime(2027, 1, 20, tzinfo=UTC)
    fail(store, message.id, casey.id, "failed", {people[0].id: "no"})
    assert store.reports.outcomes_in([message.id], since, until) == {message.id: {"sent": 3, "failed": 1}}
    with store.engine.connect() as conn:  # the same figure counted the slow way
        live = conn.scalar(
            select(func.count()).where(
                deliveries.c.status == "sent", deliveries.c.updated_at >= since, deliveries.c.updated_at < until
            )
        )
    assert live == 3


def test_the_month_audit_lists_active_schedules_and_those_touched_in_the_month(store, clock):
    """Active ones always; a cancelled one only when it changed in the month; its changes read in words."""
    casey = factories.coach(store)
    sky = factories.support(store)
    [ann] = factories.clients(store, casey, [("Ann", "UTC", [])])
    actor = casey.as_actor()
    clock.now = datetime(2026, 12, 1, tzinfo=UTC)  # all created the month before
    daily = store.messages.insert(
        actor, factories.once_values(store, casey, title="Daily", kind="daily", send_at=None, cron="0 9 * * *")
    )
    quiet = store.messages.insert(actor, factories.once_values(store, casey, title="Quiet", status="cancelled"))
    ended = store.messages.insert(actor, factories.once_values(store, casey, title="Ended"))
    clock.now = datetime(2027, 1, 10, 14, tzinfo=UTC)
    store.messages.update(actor, ended.id, {"status": "cancelled"}, action="cancel")
    store.messages.update(actor, daily.id, {"cron": "0 10 * * *"})
    send(store, daily.id, casey.id, "2027-01-10T10:00", [ann.id])
    store.messages.system_update(daily.id, last_run_at=clock())
    service = ReportService(store, DeliveryLogService(store, RecordingScheduler(), clock), clock)
    rows, total = service.schedule_audit(sky.as_actor(), *windows.month(2027, 1, "UTC"), "UTC")
    by_title = {row["title"]: row for row in rows}
    assert (total, sorted(by_title)) == (2, ["Daily", "Ended"])
    assert quiet.id not in {row["id"] for row in rows}
    daily_row = by_title["Daily"]
    assert (daily_row["owner"], daily_row["status"], daily_row["sent"], daily_row["failed"]) == (
        "Casey Coach",
        "scheduled",
        1,
        0,
    )
    assert daily_row["rule"] == "At 10:00 (America/New_York)"
    assert daily_row["last_send"] == clock()
    assert daily_row["next_send"] == datetime(2027, 1, 10, 15, tzinfo=UTC)
    assert [(e["action"], e["by"], e["changes"]) for e in daily_row["changes"]] == [
        ("Edited", "Casey Coach", "Time: 09:00 → 10:00")
    ]
    assert [(e["action"], e["changes"]) for e in by_title["Ended"]["changes"]] == [
        ("Cancelled", "Status: scheduled → cancelled")
    ]
    assert by_title["Ended"]["next_send"] is None
    page, total = service.schedule_audit(sky.as_actor(), *windows.month(2027, 1, "UTC"), "UTC", limit=1, offset=1)
    assert ([row["title"] for row in page], total) == (["Ended"], 2)
    december, _ = service.schedule_audit(sky.as_actor(), *windows.month(2026, 12, "UTC"), "UTC")
    assert sorted(row["title"] for row in december) == ["Daily", "Ended", "Quiet"]  # all three created then


@pytest.mark.postgres
def test_report_queries_use_indexes_not_a_scan_of_deliveries(postgres_url, clock):
    """EXPLAIN every query both reports make over 50,000 deliveries: no sequential scan of deliveries."""
    with filled_store(postgres_url, clock) as (store, _, support):
        sky, now = support.as_actor(), datetime.now(UTC)
        service = ReportService(store, DeliveryLogService(store, RecordingScheduler(), clock), clock)
        since, until = windows.week((now - timedelta(days=6)).date(), "Asia/Kolkata")
        # a month with at least 20 days of the fill in it, whatever today's date (on the 1st the current month has one)
        # and part-hours at both ends in Asia/Kolkata: live counts too
        month_day = now - timedelta(days=20)
        month = windows.month(month_day.year, month_day.month, "Asia/Kolkata")
        with statements_about_deliveries(store.engine) as statements:
            review = service.failure_review(sky, since, until)
            for by, rows in review.items():
                service.group_ids(sky, since, until, by, rows[0]["key"])
            rows, total = service.schedule_audit(sky, *month, "Asia/Kolkata", limit=25)
        assert sum(row["failures"] for row in review["reason"]) > 0
        assert total > 25
        assert sum(row["sent"] for row in rows) > 0
        assert len(statements) >= 9
        assert_no_scan_of_deliveries(store.engine, statements)
