"""After a firing: keep the message's counters, next run and status true."""

from __future__ import annotations

from collections.abc import Callable

from services import recurrence
from services.domain import Message
from services.store import Store


def close_occurrence(
    store: Store,
    message: Message,
    ended: bool,
    on_finished: Callable[[Message], None],
    unfinished: int = 0,
    run: tuple[str, str, dict[str, int]] | None = None,
) -> None:
    """Update counters; complete a finished one-time message or a recurring one past its end.

    run: (run id, outcome, counts) of the webhook run this closes, finished in the same transaction.
    """
    progress = store.deliveries.message_progress(message.id)
    now = store.clock()
    changes = {
        "sent_count": progress.sent,
        "failed_count": progress.failed,
        "occurrences": progress.occurrences,
        "last_run_at": now,
    }
    if message.recurring:
        upcoming = recurrence.next_occurrences(message.cron, message.timezone, now, 1)
        changes["next_run_at"] = upcoming[0].at if upcoming else None
        used_up = bool(message.max_occurrences and progress.occurrences >= message.max_occurrences)
        past_end = bool(message.end_at and changes["next_run_at"] and changes["next_run_at"] > message.end_at)
        # A recurring message with sends still pending waits for QStash's retry before it completes.
        ended = (ended or used_up or past_end) and unfinished == 0
    else:
        ended = unfinished == 0 and _every_zone_group_fired(store, message, closing_a_run=run is not None)
        changes["next_run_at"] = None
    if ended:
        changes["status"] = "completed"
        if message.recurring:
            changes["next_run_at"] = None
    if run is None:
        store.messages.system_update(message.id, **changes)
    else:
        store.deliveries.finish_run(*run, message=(message.id, changes))
    if ended and message.recurring:
        on_finished(message)


def _every_zone_group_fired(store: Store, message: Message, closing_a_run: bool) -> bool:
    """True once each zone group of a one-time message has had a run (the run being closed included)."""
    if closing_a_run and message.zone_mode == "coach":  # one group, the coach's zone: the closing run is its run
        return True
    # In "each client's local time" a one-time message fires once per zone group: done after the last.
    groups = set(store.messages.qstash_links(message.id)) or {message.timezone}
    return groups <= store.deliveries.zones_fired(message.id)
