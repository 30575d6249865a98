"""Failed deliveries written through the real store, as the fan-out leaves them (for the reports' tests)."""

from __future__ import annotations

from datetime import timedelta


def fail(store, message_id: str, coach_id: str, slot: str, client_reasons: dict[str, str]) -> dict[str, str]:
    """One occurrence whose listed clients failed for good with the given reasons; returns client id → delivery id."""
    d = store.deliveries
    run = d.start_run(message_id, coach_id, f"q-{message_id}-{slot}", 0, slot, None)
    d.ensure_rows(message_id, coach_id, slot, list(client_reasons), {})
    claimed = {client: delivery for delivery, client in d.claim(message_id, slot, "test", 0, run, timedelta(minutes=1))}
    d.record_outcomes([], [(claimed[c], reason, True) for c, reason in client_reasons.items()])
    return {c: claimed[c] for c in client_reasons}


def send(store, message_id: str, coach_id: str, slot: str, client_ids: list[str]) -> None:
    """One occurrence delivered to every listed client."""
    d = store.deliveries
    run = d.start_run(message_id, coach_id, f"q-{message_id}-{slot}", 0, slot, None)
    d.ensure_rows(message_id, coach_id, slot, client_ids, {})
    claimed = d.claim(message_id, slot, "test", 0, run, timedelta(minutes=1))
    d.record_outcomes([(delivery, f"chat-{delivery}") for delivery, _ in claimed], [])
