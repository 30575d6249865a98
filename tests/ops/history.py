"""Delivery history written through the real store, as the webhook writes it: a run, claims, outcomes."""

from __future__ import annotations

from datetime import timedelta

from tests import factories


def deliveries(store, coach, sent: int, failed: int, due_minutes_ago: float = 0) -> str:
    """A one-time message (due that long ago) whose recipients were just sent or failed; returns its id."""
    people = factories.clients(store, coach, [(f"Client {n:03d}", "UTC", []) for n in range(sent + failed)])
    values = factories.once_values(store, coach, minutes=-due_minutes_ago)
    message = store.messages.insert(coach.as_actor(), values)
    run_id = store.deliveries.start_run(message.id, coach.id, "msg_history", 0, "once", coach.timezone)
    claim = ("msg_history", 0, run_id, timedelta(minutes=1))
    claimed = store.deliveries.claim_batch(message.id, coach.id, "once", [p.id for p in people], claim)
    ids = [delivery_id for delivery_id, _ in claimed]
    store.deliveries.record_outcomes(
        [(d, f"chat-{d}") for d in ids[:sent]], [(d, "Stream said no", True) for d in ids[sent:]]
    )
    return message.id
