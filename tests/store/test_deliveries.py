"""Deliveries: one row per (message, slot, client), claimed by exactly one worker, counted in SQL."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from services.db.schema import deliveries
from services.store import Store
from tests import factories, pg

LEASE = timedelta(seconds=60)


@pytest.fixture
def setup(store):
    """A coach, three clients and a one-time message."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [("Ann A", "UTC", []), ("Ben B", "UTC", []), ("Cy C", "UTC", [])])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    return coach, people, message


def test_rows_are_created_once(store, setup):
    """ensure_rows twice leaves one row per client; the unique key refuses a hand-made duplicate."""
    coach, people, message = setup
    ids = [c.id for c in people]
    assert store.deliveries.ensure_rows(message.id, coach.id, "once", ids, {}) == 3
    assert store.deliveries.ensure_rows(message.id, coach.id, "once", ids, {}) == 0
    now = store.clock()
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(
            insert(deliveries).values(
                id="dup",
                message_id=message.id,
                coach_id=coach.id,
                slot="once",
                client_id=ids[0],
                status="pending",
                attempts=0,
                created_at=now,
                updated_at=now,
            )
        )


def test_claim_is_exclusive_until_released_or_expired(store, setup, clock):
    """A second claimer gets nothing while the lease holds; a released transient failure is claimable again."""
    coach, people, message = setup
    store.deliveries.ensure_rows(message.id, coach.id, "once", [c.id for c in people], {})
    run = store.deliveries.start_run(message.id, coach.id, "q1", 0, "once", None)
    first = store.deliveries.claim(message.id, "once", "q1", 0, run, LEASE)
    assert len(first) == 3
    assert store.deliveries.claim(message.id, "once", "q2", 0, run, LEASE) == []
    store.deliveries.mark_sent(first[0][0], "chat-1")
    store.deliveries.mark_failed(first[1][0], "timeout", permanent=False)
    store.deliveries.mark_failed(first[2][0], "bad user", permanent=True)
    again = store.deliveries.claim(message.id, "once", "q2", 0, run, LEASE)
    assert [d for d, _ in again] == [first[1][0]]
    clock.advance(seconds=61)
    assert store.deliveries.slot_counts(message.id, "once") == {"sent": 1, "failed": 1, "pending": 1}


def test_retry_of_the_same_qstash_message_takes_over_its_claims(store, setup):
    """QStash's retry (same message id, higher Upstash-Retried) takes over claims of the attempt it replaces."""
    coach, people, message = setup
    store.deliveries.ensure_rows(message.id, coach.id, "once", [c.id for c in people], {})
    run = store.deliveries.start_run(message.id, coach.id, "q1", 0, "once", None)
    assert len(store.deliveries.claim(message.id, "once", "q1", 0, run, LEASE)) == 3
    assert store.deliveries.claim(message.id, "once", "q1", 0, run, LEASE) == []
    assert len(store.deliveries.claim(message.id, "once", "q1", 1, run, LEASE)) == 3


def test_log_counts_and_per_day_figures(store, setup, clock):
    """The log's status counts and per-day aggregates come from SQL and respect filters."""
    coach, people, message = setup
    store.deliveries.ensure_rows(message.id, coach.id, "once", [people[0].id, people[1].id], {people[2].id: "inactive"})
    run = store.deliveries.start_run(message.id, coach.id, "q1", 0, "once", None)
    claimed = store.deliveries.claim(message.id, "once", "q1", 0, run, LEASE)
    store.deliveries.mark_sent(claimed[0][0], "c1")
    clock.advance(days=1)
    store.deliveries.mark_failed(claimed[1][0], "nope", permanent=True)
    actor = coach.as_actor()
    assert store.log.status_counts(actor) == {"sent": 1, "failed": 1, "skipped": 1}
    assert store.log.status_counts(actor, status="failed") == {"failed": 1}
    per_day = {(r["day"], r["status"]): r["count"] for r in store.log.per_day(actor)}
    assert per_day == {("2027-01-15", "sent"): 1, ("2027-01-15", "skipped"): 1, ("2027-01-16", "failed"): 1}
    rows, total = store.log.page(actor, search="nope")
    assert total == 1
    assert rows[0]["client"] in {"Ben B", "Ann A"}
    assert rows[0]["last_error"] == "nope"


@pytest.mark.parametrize("db_url", pg.POSTGRES_PARAMS, indirect=True)
def test_twenty_concurrent_claims_produce_one(db_url, clock):
    """On PostgreSQL (directly and through a transaction pooler), 20 transactions claiming the same (message, slot,
    client) at once: exactly one wins."""
    from services.db.engine import make_engine

    engine = make_engine(db_url)  # db_url starts from empty tables
    store = Store(engine, clock)
    coach = factories.coach(store)
    [client] = factories.clients(store, coach, [("Ann A", "UTC", [])])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    run = store.deliveries.start_run(message.id, coach.id, "q", 0, "once", None)

    def claim(n):
        store.deliveries.ensure_rows(message.id, coach.id, "once", [client.id], {})
        return store.deliveries.claim(message.id, "once", f"worker-{n}", 0, run, LEASE)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(claim, range(20)))
    engine.dispose()
    assert sum(len(r) for r in results) == 1
