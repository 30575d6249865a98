"""Fan-out: one QStash firing becomes one chat message per recipient, each claimed exactly once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services import recurrence
from services.chat.port import ChatGateway, ChatUser, OutgoingMessage
from services.delivery_outcome import close_occurrence
from services.domain import Client, Message
from services.firing_body import BadFiring, read_firing
from services.pacing import Pacer
from services.recipient_send import RecipientSender
from services.store import Store
from services.store.base import Clock
from services.templates import render

log = logging.getLogger(__name__)
DEADLINE_RETRY_AFTER = 1  # seconds before QStash continues a fan-out the deadline cut short


@dataclass
class Answer:
    """What the webhook answers QStash."""

    status: int
    body: dict
    headers: dict = field(default_factory=dict)


def permanent(reason: str) -> Answer:
    """489 + Upstash-NonRetryable-Error: QStash sends it straight to the DLQ."""
    return Answer(489, {"error": reason}, {"Upstash-NonRetryable-Error": "true"})


def chat_message_id(message_id: str, slot: str, client_id: str) -> str:
    """The deterministic chat message id of one (message, slot, client); a resend is 'already exists'."""
    return f"{message_id}-{''.join(ch for ch in slot if ch.isalnum())}-{client_id}"


class DeliveryService:
    """Turns a verified firing into sends, recorded per recipient."""

    def __init__(
        self,
        store: Store,
        chat: ChatGateway,
        pacer: Pacer,
        clock: Clock,
        on_finished: Callable[[Message], None],
        concurrency: int = 8,
        lease_seconds: float = 60.0,
        deadline_seconds: float = 20.0,
    ):
        self.store = store
        self.chat = chat
        self.sender = RecipientSender(store, chat, pacer)
        self.clock = clock
        self.on_finished = on_finished  # called with a message whose schedule ended (deletes QStash schedules)
        self.concurrency = max(1, concurrency)
        self.lease = timedelta(seconds=lease_seconds)
        # Well inside QStash's request timeout: a fan-out still running when QStash gives up gets retried
        # while it sends, so it stops starting sends in time to answer.
        self.deadline_seconds = deadline_seconds

    def fire(
        self, payload: dict, qstash_message_id: str | None, retried: int, signed_at: datetime | None = None
    ) -> Answer:
        """Deliver one occurrence; the answer tells QStash whether to retry.

        `signed_at` is the verified signature's iat (None for a bearer-only request): the time a new recurring
        firing stands for. The QStash message id is only passed in next to a signature never seen before.
        """
        deadline = time.monotonic() + self.deadline_seconds
        try:
            firing = read_firing(payload)
        except BadFiring as exc:
            return permanent(str(exc))
        message = self.store.messages.get_unscoped(firing.message_id)
        refused = self._refusal(message, firing.coach_id, retry_of_slot=firing.slot is not None)
        if refused is not None:
            return refused
        zone = firing.zone or message.timezone
        slot = self._slot(message, zone, firing.slot, qstash_message_id, signed_at)
        if slot is None:
            return permanent("unknown occurrence slot")
        if not self.store.deliveries.slot_started(message.id, slot) and self._ended(message):
            close_occurrence(self.store, message, ended=True, on_finished=self.on_finished)
            return Answer(200, {"skipped": "message has ended"})
        return self._deliver(message, zone, slot, qstash_message_id, retried, deadline)

    def _refusal(self, message: Message | None, coach_id: str, retry_of_slot: bool = False) -> Answer | None:
        """Why this firing sends nothing (unknown, foreign, inactive message or coach), or None to go on."""
        if message is None:
            return permanent("unknown message")
        if message.coach_id != coach_id:
            return permanent("coach does not own this message")
        # Support's retry of a past occurrence names its slot; the occurrence may have been closed ("completed")
        # between the reopening and this firing, and the reopened recipients must still get it.
        allowed = ("scheduled", "completed") if retry_of_slot else ("scheduled",)
        if message.status not in allowed:
            return Answer(200, {"skipped": f"message is {message.status}"})
        if not self.store.accounts.get(message.coach_id).active:
            return Answer(200, {"skipped": "coach account is inactive"})  # nothing goes out in their name
        return None

    def _slot(
        self, message: Message, zone: str, asked: str | None, qstash_message_id: str | None, signed_at: datetime | None
    ) -> str | None:
        """The occurrence this firing stands for, from the store or signed data, never from a header alone."""
        if asked is not None:  # support's retry of a past occurrence: only one that already has rows
            return asked if self.store.deliveries.slot_started(message.id, asked) else None
        # A retry is signed afresh (a later iat), so it takes the slot its first attempt recorded.
        earlier = self.store.deliveries.slot_of_qstash_message(qstash_message_id) if qstash_message_id else None
        if earlier:
            return earlier[0]
        if not message.recurring:
            return "once"
        return recurrence.previous_slot(message.cron, zone, signed_at or self.clock()).slot

    def _ended(self, message: Message) -> bool:
        """True when a recurring message is past its end date or has used up its occurrences."""
        if not message.recurring:
            return False
        if message.end_at and self.clock() > message.end_at:
            return True
        return bool(
            message.max_occurrences and self.store.deliveries.occurrences_started(message.id) >= message.max_occurrences
        )

    def _deliver(
        self, message: Message, zone: str, slot: str, qstash_message_id: str | None, retried: int, deadline: float
    ) -> Answer:
        """Resolve recipients, claim their rows, send until the deadline, record and answer."""
        recipients = [
            c for c in self.store.clients.recipients(message) if message.zone_mode == "coach" or c.timezone == zone
        ]
        skipped = {c.id: "client is inactive" for c in recipients if not c.active}
        active = {c.id: c for c in recipients if c.active}
        run_id = self.store.deliveries.start_run(message.id, message.coach_id, qstash_message_id, retried, slot, zone)
        self.store.deliveries.ensure_rows(message.id, message.coach_id, slot, list(active), skipped)
        owner = qstash_message_id or run_id
        claimed = self.store.deliveries.claim(message.id, slot, owner, retried, run_id, self.lease)
        jobs = [(delivery_id, active[client_id]) for delivery_id, client_id in claimed if client_id in active]
        cut_short = not self._send_all(message, slot, jobs, deadline)
        if cut_short:
            # Out of time: what was not sent goes back to pending with no lease, so QStash's retry sends it.
            released = self.store.deliveries.release_unsent(run_id)
            log.info("fan-out deadline reached for %s/%s: %d left for QStash's retry", message.id, slot, released)
        return self._answer(message, slot, [c.id for c in recipients], run_id, cut_short)

    def _send_all(self, message: Message, slot: str, jobs: list[tuple[str, Client]], deadline: float) -> bool:
        """Send each (delivery id, client) with bounded concurrency; False when the deadline left some unsent."""
        coach = self.store.accounts.get(message.coach_id)
        sender = ChatUser(coach.chat_user_id, coach.display_name)
        if jobs:
            self.chat.prepare_users([sender] + [ChatUser(c.chat_user_id, c.name) for _, c in jobs])

        def send(job: tuple[str, Client]) -> bool:
            delivery_id, client = job
            text = render(message.body, client, coach.display_name)
            recipient = ChatUser(client.chat_user_id, client.name)
            outgoing = OutgoingMessage(chat_message_id(message.id, slot, client.id), sender, recipient, text)
            return self.sender.send(delivery_id, outgoing, deadline)

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(jobs)))) as pool:
            return all(list(pool.map(send, jobs)))

    def _answer(self, message: Message, slot: str, recipient_ids: list[str], run_id: str, cut_short: bool) -> Answer:
        """Close the run, keep the message's counters true, and tell QStash whether to retry."""
        # Only this zone group's recipients: other groups of the same slot answer for themselves.
        counts = self.store.deliveries.slot_counts(message.id, slot, recipient_ids)
        unfinished = counts.get("pending", 0) + counts.get("in_flight", 0)
        self.store.deliveries.finish_run(run_id, "retry" if unfinished else "done", counts)
        close_occurrence(self.store, message, ended=False, on_finished=self.on_finished, unfinished=unfinished)
        body = {
            "messageId": message.id,
            "slot": slot,
            "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0),
            "skipped": counts.get("skipped", 0),
            "pending": unfinished,
        }
        if not unfinished:
            return Answer(200, body)
        if counts.get("in_flight", 0):  # rows held by another live worker: retry once its lease can have run out
            return Answer(503, body, {"Retry-After": str(int(self.lease.total_seconds()))})
        if cut_short:  # progress, not failure: go on at once rather than after QStash's growing backoff
            return Answer(503, body, {"Retry-After": str(DEADLINE_RETRY_AFTER)})
        return Answer(503, body)  # transient failures: QStash's own backoff applies
