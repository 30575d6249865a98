"""Batched claims: one upsert creates and claims rows, with the lease rules of the per-slot claim."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests import factories

LEASE = timedelta(seconds=60)


@pytest.fixture
def setup(store):
    """A coach, forty clients and a one-time message."""
    coach = factories.coach(store)
    people = factories.clients(store, coach, [(f"Client {i:02d}", "UTC", []) for i in range(40)])
    message = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    return coach, [c.id for c in people], message


def _claim(store, coach, message, ids, owner, retried=0):
    run = store.deliveries.start_run(message.id, coach.id, owner, retried, "once", None)
    return store.deliveries.claim_batch(message.id, coach.id, "once", ids, (owner, retried, run, LEASE))


def test_batch_creates_claims_and_refuses_a_second_owner(store, setup, clock):
    """New rows come back claimed; another owner gets nothing while the lease holds, everything once it expires."""
    coach, ids, message = setup
    first = _claim(store, coach, message, ids, "q1")
    assert sorted(c for _, c in first) == sorted(ids)
    assert _claim(store, coach, message, ids, "q2") == []
    store.deliveries.record_outcomes([(first[0][0], "chat-0")], [(first[1][0], "refused", True)])
    clock.advance(seconds=61)
    again = _claim(store, coach, message, ids, "q2")
    assert len(again) == len(ids) - 2  # the sent and the permanently failed rows are final
    assert {d for d, _ in again} == {d for d, _ in first[2:]}  # the same rows, not new ones


def test_a_retry_of_the_same_qstash_message_takes_over(store, setup):
    """Same owner and a higher Upstash-Retried takes over the live lease of the attempt it replaces."""
    coach, ids, message = setup
    assert len(_claim(store, coach, message, ids, "q1", 0)) == len(ids)
    assert _claim(store, coach, message, ids, "q1", 0) == []
    assert len(_claim(store, coach, message, ids, "q1", 1)) == len(ids)
    counts = store.deliveries.slot_counts(message.id, "once")
    assert counts == {"in_flight": len(ids)}


def test_twenty_concurrent_batches_claim_each_row_once(store, setup):
    """Twenty callers claiming overlapping batches at once: every row is taken by exactly one of them."""
    coach, ids, message = setup

    def claim(n):
        batch = ids[n % 4 :: 2] if n % 2 else list(reversed(ids))  # overlapping, differently ordered batches
        return _claim(store, coach, message, batch, f"worker-{n}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [row for rows in pool.map(claim, range(20)) for row in rows]
    assert sorted(c for _, c in results) == sorted(ids)
