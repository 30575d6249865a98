"""The schedules-by-status gauge reads the store at scrape time: on SQLite, PostgreSQL and through PgBouncer."""

from __future__ import annotations

from tests import factories
from tests.observability.scrape import Readings, webhook_metrics


def test_schedules_by_status_follow_the_store(product):
    """Two new messages count as scheduled; cancelling one moves it to cancelled; deleting it takes it off."""
    readings = Readings(lambda: webhook_metrics(product))
    store = product.store
    coach = factories.coach(store)
    factories.clients(store, coach, [("Ann Apple", "UTC", [])])
    kept = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    gone = store.messages.insert(coach.as_actor(), factories.once_values(store, coach))
    assert readings.delta("scheduler_schedules", status="scheduled") == 2
    product.services.schedules.cancel(coach.as_actor(), gone.id)
    assert readings.delta("scheduler_schedules", status="scheduled") == 1
    assert readings.delta("scheduler_schedules", status="cancelled") == 1
    product.services.schedules.delete(coach.as_actor(), gone.id)
    assert readings.delta("scheduler_schedules", status="cancelled") == 0
    assert store.messages.get(coach.as_actor(), kept.id).status == "scheduled"
    assert 'scheduler_schedules{status="paused"} 0.0' in readings.read()  # every status is listed, zeros too
