"""Hardening 9 in the store: a run cut short by its deadline gives back exactly the rows it never tried."""

from datetime import timedelta

from sqlalchemy import select

from services.db.schema import deliveries
from tests import factories

LEASE = timedelta(seconds=60)


def _row(store, delivery_id):
    with store.engine.connect() as conn:
        return conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).one()


def test_release_unsent_frees_only_the_untried_rows_of_its_run(store):
    """Sent and already-released rows stay as they are; untried ones are pending, unleased, attempt undone."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i}", "UTC", []) for i in range(4)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    store.deliveries.ensure_rows(message.id, coach.id, "once", [c.id for c in people], {})
    run = store.deliveries.start_run(message.id, coach.id, "q1", 0, "once", None)
    claimed = [d for d, _ in store.deliveries.claim(message.id, "once", "q1", 0, run, LEASE)]
    store.deliveries.mark_sent(claimed[0], "chat-1")
    store.deliveries.mark_failed(claimed[1], "timeout", permanent=False)
    other_run = store.deliveries.start_run(message.id, coach.id, "q2", 0, "once", None)
    assert store.deliveries.release_unsent(other_run) == 0  # another run's claims are not its to give back
    assert store.deliveries.release_unsent(run) == 2
    for delivery_id in claimed[2:]:
        row = _row(store, delivery_id)
        assert (row.status, row.lease_until, row.attempts) == ("pending", None, 0)
    assert _row(store, claimed[1]).attempts == 1  # tried once, failed transiently: that attempt counts
    assert store.deliveries.slot_counts(message.id, "once") == {"sent": 1, "pending": 3}
    retry = store.deliveries.claim(message.id, "once", "q1", 1, run, LEASE)
    assert sorted(d for d, _ in retry) == sorted(claimed[1:])
