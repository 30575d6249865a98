"""After a firing: keep the message's counters, next run and status true."""

from __future__ import annotations

from collections.abc import Callable

from services import recurrence
from services.domain import Message
from services.store import Store


def close_occurrence(
    store: Store, message: Message, ended: bool, on_finished: Callable[[Message], None], unfinished: int = 0
) -> None:
    """Update counters; complete a finished one-time message or a recurring one past its end."""
    totals = store.deliveries.message_totals(message.id)
    occurrences = store.deliveries.occurrences_started(message.id)
    now = store.clock()
    changes = {
        "sent_count": totals.get("sent", 0),
        "failed_count": totals.get("failed", 0),
        "occurrences": occurrences,
        "last_run_at": now,
    }
    if message.recurring:
        upcoming = recurrence.next_occurrences(message.cron, message.timezone, now, 1)
        changes["next_run_at"] = upcoming[0].at if upcoming else None
        used_up = bool(message.max_occurrences and occurrences >= message.max_occurrences)
        past_end = bool(message.end_at and changes["next_run_at"] and changes["next_run_at"] > message.end_at)
        # A recurring message with sends still pending waits for QStash's retry before it completes.
        ended = (ended or used_up or past_end) and unfinished == 0
    else:
        # In "each client's local time" a one-time message fires once per zone group: done after the last.
        groups = set(store.messages.qstash_links(message.id)) or {message.timezone}
        ended = unfinished == 0 and groups <= store.deliveries.zones_fired(message.id)
        changes["next_run_at"] = None
    if ended:
        changes["status"] = "completed"
        if message.recurring:
            changes["next_run_at"] = None
    store.messages.system_update(message.id, **changes)
    if ended and message.recurring:
        on_finished(message)
