"""Signature ids against replay: each jti once, expired ids purged at most once a minute, concurrent callers."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, select

from services.db.schema import signature_ids


def _stored(store) -> int:
    with store.engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(signature_ids))


def test_a_jti_is_accepted_once(store, clock):
    """The second sight of the same jti is a replay, however soon or late within its validity."""
    valid_until = clock() + timedelta(minutes=5)
    assert store.signatures.remember("jti-1", valid_until) is True
    assert store.signatures.remember("jti-1", valid_until) is False
    clock.advance(minutes=4)
    assert store.signatures.remember("jti-1", valid_until) is False


def test_expired_ids_are_purged_at_most_once_per_interval(store, clock):
    """An expired id stays until the next purge is due, then goes; unexpired ids are never purged."""
    store.signatures.remember("old", clock() + timedelta(seconds=10))  # the first call purges (nothing yet)
    clock.advance(seconds=30)  # "old" has expired, but the last purge was 30 s ago
    store.signatures.remember("new", clock() + timedelta(minutes=5))
    assert _stored(store) == 2
    clock.advance(seconds=31)  # a purge is due again
    store.signatures.remember("newer", clock() + timedelta(minutes=5))
    assert _stored(store) == 2  # "old" gone; "new" and "newer" kept
    assert store.signatures.remember("new", clock() + timedelta(minutes=5)) is False


def test_concurrent_deliveries_of_one_signature_admit_exactly_one(store, clock):
    """Eight threads presenting the same jti at once: one first use, seven replays."""
    valid_until = clock() + timedelta(minutes=5)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: store.signatures.remember("same", valid_until), range(8)))
    assert sorted(answers) == [False] * 7 + [True]
