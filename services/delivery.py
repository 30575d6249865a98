"""Fan-out: one QStash firing becomes one chat message per recipient, each claimed exactly once."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services import recurrence
from services.batch_send import send_in_batches
from services.chat.port import ChatGateway, ChatUser, OutgoingMessage
from services.delivery_metrics import FanoutMetrics
from services.delivery_outcome import close_occurrence
from services.domain import Account, Client, Message
from services.errors import SchedulerUnavailable
from services.fanout_chunks import chunk_bodies, chunk_clients, chunk_key
from services.fanout_outcomes import OutcomeBuffer
from services.firing_body import BadFiring, read_firing
from services.observability import logs
from services.observability.metrics import Metrics, provider_label
from services.pacing import Pacer
from services.qstash.port import Scheduler
from services.recipient_send import RecipientSender
from services.send_flow import SendFlow
from services.send_gate import SendGate
from services.store import Store
from services.store.base import Clock
from services.store.deliveries import RunStart
from services.templates import render

log = logging.getLogger(__name__)
ONCE = "once"  # the slot of a one-time message's only occurrence
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


@dataclass(frozen=True)
class Chunking:
    """When a fan-out is split into chunk deliveries through QStash, and how big each is."""

    scheduler: Scheduler | None = None
    inline_max: int = 0  # 0: always inline
    size: int = 500
    # The chat provider's limit as QStash flow control (None: no limit, e.g. the local inbox). With it, chunks
    # are at most its chunk size, and an audience larger than one chunk always goes out in chunks: the limit
    # holds across instances only for sends that pass through flow control.
    flow: SendFlow | None = None

    def applies(self, recipients: int) -> bool:
        """True when this many recipients are too many for one request (or for one flow-control slot)."""
        inline_max = self.inline_max if self.flow is None else min(self.inline_max, self.chunk_size)
        return self.scheduler is not None and 0 < inline_max < recipients

    @property
    def chunk_size(self) -> int:
        """Recipients per chunk delivery."""
        return self.size if self.flow is None else min(self.size, self.flow.chunk_size)


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
        batch_size: int = 500,
        chunking: Chunking | None = None,
        metrics: Metrics | None = None,
        after_occurrence: Callable[[Message, str, str], None] | None = None,
        gate: SendGate | None = None,
    ):
        self.store = store
        self.chat = chat
        self.metrics = metrics or Metrics()
        self.sender = RecipientSender(chat, pacer, metrics=self.metrics)
        self.counted = FanoutMetrics(self.metrics, provider_label(chat), clock)
        # Chunk deliveries are paced by QStash flow control across instances; here only a 429 holds them
        # (one backstop per process, so every chunk in it waits out the provider's reset).
        self.chunk_sender = (
            RecipientSender(chat, Pacer(0), metrics=self.metrics) if chunking and chunking.flow else self.sender
        )
        self.clock = clock
        self.on_finished = on_finished  # called with a message whose schedule ended (deletes QStash schedules)
        self.concurrency = max(1, concurrency)
        self.lease = timedelta(seconds=lease_seconds)
        # Well inside QStash's request timeout: a fan-out still running when QStash gives up gets retried
        # while it sends, so it stops starting sends in time to answer.
        self.deadline_seconds = deadline_seconds
        self.batch = max(1, batch_size)  # rows per claim statement, per outcome write, per inbox insert
        self.chunking = chunking or Chunking()
        # Called with (message, slot, zone) once an occurrence's zone group is fully sent, before the occurrence
        # closes (schedules its nudge); SchedulerUnavailable makes QStash retry the firing, which calls it again.
        self.after_occurrence = after_occurrence
        self.gate = gate  # the coach's quiet hours and daily cap, applied to claimed rows before they are sent

    def fire_chunk(self, payload: dict, qstash_message_id: str | None, retried: int) -> Answer:
        """Deliver one chunk of a large fan-out: only its clients' rows that are still unsent."""
        clients = chunk_clients(payload)
        if clients is None or payload.get("slot") is None:
            return permanent("a chunk names its slot and 1 to 1000 client ids")
        with logs.context(chunk=chunk_key(clients)):
            return self.fire(payload, qstash_message_id, retried, only=clients)

    def fire(
        self,
        payload: dict,
        qstash_message_id: str | None,
        retried: int,
        signed_at: datetime | None = None,
        only: list[str] | None = None,
    ) -> Answer:
        """Deliver one occurrence; the answer tells QStash whether to retry.

        `signed_at` is the verified signature's iat (None for a bearer-only request): the time a new recurring
        firing stands for. The QStash message id is only passed in next to a signature never seen before.
        """
        with logs.context(qstash_message_id=qstash_message_id, retried=retried):
            answer = self._fire(payload, qstash_message_id, retried, signed_at, only)
            log.info("delivery answered %s", answer.status, extra=_summary(answer))
            return answer

    def _fire(
        self,
        payload: dict,
        qstash_message_id: str | None,
        retried: int,
        signed_at: datetime | None,
        only: list[str] | None,
    ) -> Answer:
        """fire() inside its log context."""
        deadline = time.monotonic() + self.deadline_seconds
        try:
            firing = read_firing(payload)
        except BadFiring as exc:
            return permanent(str(exc))
        logs.bind(message_id=firing.message_id)
        message = self.store.messages.get_unscoped(firing.message_id)
        refused = self._refusal(message, firing.coach_id, retrying=firing.slot is not None)
        if refused is not None:
            return refused
        coach = self.store.accounts.get(message.coach_id)
        if not coach.active:
            return Answer(200, {"skipped": "coach account is inactive"})  # nothing goes out in their name
        zone = firing.zone or message.timezone
        slot = self._slot(message, zone, firing.slot, qstash_message_id, signed_at)
        if slot is None:
            return permanent("unknown occurrence slot")
        logs.bind(slot=slot, zone=zone)
        if self._ended(message) and not self.store.deliveries.slot_started(message.id, slot):
            close_occurrence(self.store, message, ended=True, on_finished=self.on_finished)
            return Answer(200, {"skipped": "message has ended"})
        with self.metrics.fanout.time():
            run = RunStart(message.id, message.coach_id, qstash_message_id, retried, slot, zone)
            return self._deliver(message, coach, run, deadline, only)

    def _refusal(self, message: Message | None, coach_id: str, retrying: bool = False) -> Answer | None:
        """Why this firing sends nothing (unknown, foreign or inactive message), or None to go on."""
        if message is None:
            return permanent("unknown message")
        if message.coach_id != coach_id:
            return permanent("coach does not own this message")
        # Support's retry of a past occurrence may find the message completed: the run it follows can close the
        # occurrence after support reopened the rows (its counts were read first), and the retry must still send.
        if message.status != "scheduled" and not (retrying and message.status == "completed"):
            return Answer(200, {"skipped": f"message is {message.status}"})
        return None

    def _slot(
        self, message: Message, zone: str, asked: str | None, qstash_message_id: str | None, signed_at: datetime | None
    ) -> str | None:
        """The occurrence this firing stands for, from the store or signed data, never from a header alone."""
        if asked is not None:  # support's retry of a past occurrence: only one that already has rows
            return asked if self.store.deliveries.slot_started(message.id, asked) else None
        if not message.recurring:  # one occurrence, whichever attempt this is
            return ONCE
        # A retry is signed afresh (a later iat), so it takes the slot its first attempt recorded.
        earlier = self.store.deliveries.slot_of_qstash_message(qstash_message_id) if qstash_message_id else None
        if earlier:
            return earlier[0]
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
        self, message: Message, coach: Account, run: RunStart, deadline: float, only: list[str] | None = None
    ) -> Answer:
        """Resolve recipients (a chunk's: only those), claim their rows, send until the deadline, record, answer."""
        slot, zone = run.slot, run.zone
        recipients = [
            c for c in self.store.clients.recipients(message) if message.zone_mode == "coach" or c.timezone == zone
        ]
        if only is not None:  # a chunk's ids count only while they are still in the message's audience
            wanted = set(only)
            recipients = [c for c in recipients if c.id in wanted]
        skipped = {c.id: "client is inactive" for c in recipients if not c.active}
        active = {c.id: c for c in recipients if c.active}
        ids = list(active)
        if only is None and self.chunking.applies(len(ids)):
            run_id = self.store.deliveries.start_run(**dataclasses.asdict(run))
            logs.bind(run_id=run_id)
            return self._publish_chunks(message, zone, slot, run_id, ids, skipped)
        # One transaction opens the run, records the skipped and claims the first batch; larger audiences claim
        # the rest a batch at a time.
        run_id, claimed = self.store.deliveries.start_claimed_run(run, ids[: self.batch], skipped, self.lease)
        logs.bind(run_id=run_id)
        claim = run.claim(run_id, self.lease)
        for start in range(self.batch, len(ids), self.batch):
            batch = ids[start : start + self.batch]
            claimed += self.store.deliveries.claim_batch(message.id, message.coach_id, slot, batch, claim)
        jobs = [(delivery_id, active[client_id]) for delivery_id, client_id in claimed]
        if self.gate is not None:
            jobs = self.gate.admit(message, slot, zone, jobs)
        outcomes = OutcomeBuffer(self.store, self.batch, on_recorded=self.counted.recorder(message, zone, slot))
        try:
            sender = self.sender if only is None else self.chunk_sender
            finished = self._send_all(message, coach, slot, jobs, deadline, outcomes, sender)
        finally:
            outcomes.flush()  # before any release: a tried row's recorded outcome is what releases it
        if not finished:
            # Out of time: what was not sent goes back to pending with no lease, so QStash's retry sends it.
            released = self.store.deliveries.release_unsent(run_id)
            log.info("fan-out deadline reached: %d left for QStash's retry", released)
        return self._answer(
            message,
            (slot, zone),
            [c.id for c in recipients],
            run_id,
            whole_slot=only is not None,
            cut_short=not finished,
        )

    def _publish_chunks(
        self, message: Message, zone: str, slot: str, run_id: str, active: list[str], skipped: dict[str, str]
    ) -> Answer:
        """Create every row, then hand the sending to QStash as bounded chunk deliveries (one batch publish)."""
        self.store.deliveries.ensure_rows(message.id, message.coach_id, slot, active, skipped)
        chunks = chunk_bodies(message, zone, slot, active, self.chunking.chunk_size)
        try:
            self.chunking.scheduler.publish_chunks(chunks, self.chunking.flow)
        except SchedulerUnavailable as exc:
            # The rows wait as pending; QStash's retry of this firing publishes the chunks again.
            log.warning("could not publish %d chunks: %s", len(chunks), exc)
            self.store.deliveries.finish_run(run_id, "retry", {"pending": len(active)})
            return Answer(503, {"messageId": message.id, "slot": slot, "error": "chunks not published"})
        self.store.deliveries.finish_run(run_id, "chunked", {"pending": len(active), "skipped": len(skipped)})
        log.info("fan-out handed to QStash as %d chunks", len(chunks))
        return Answer(200, {"messageId": message.id, "slot": slot, "chunks": len(chunks), "pending": len(active)})

    def _send_all(
        self,
        message: Message,
        coach: Account,
        slot: str,
        jobs: list[tuple[str, Client]],
        deadline: float,
        outcomes: OutcomeBuffer,
        recipient_sender: RecipientSender,
    ) -> bool:
        """Send each (delivery id, client) with bounded concurrency; False when the deadline left some unsent."""
        sender = ChatUser(coach.chat_user_id, coach.display_name)
        if jobs:
            self.chat.prepare_users([sender] + [ChatUser(c.chat_user_id, c.name) for _, c in jobs])

        def outgoing(client: Client) -> OutgoingMessage:
            text = render(message.body, client, coach.display_name)
            recipient = ChatUser(client.chat_user_id, client.name)
            return OutgoingMessage(chat_message_id(message.id, slot, client.id), sender, recipient, text)

        if hasattr(self.chat, "send_batch"):  # the local inbox: no provider limit to pace, one insert per batch
            return send_in_batches(self.chat, [(d, outgoing(c)) for d, c in jobs], self.batch, deadline, outcomes)

        def send(job: tuple[str, Client]) -> bool:
            return recipient_sender.send(job[0], outgoing(job[1]), deadline, outcomes)

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(jobs)))) as pool:
            return all(list(pool.map(logs.carried(send), jobs)))

    def _answer(
        self,
        message: Message,
        occurrence: tuple[str, str],
        recipient_ids: list[str],
        run_id: str,
        whole_slot: bool = False,
        cut_short: bool = False,
    ) -> Answer:
        """Close the run, keep the message's counters true, and tell QStash whether to retry.

        occurrence: (slot, zone). whole_slot: a chunk answers for its own clients, but the occurrence is over only
        when every chunk is.
        """
        slot, zone = occurrence
        # Only this zone group's recipients: other groups of the same slot answer for themselves.
        counts = self.store.deliveries.slot_counts(message.id, slot, recipient_ids)
        unfinished = counts.get("pending", 0) + counts.get("in_flight", 0)
        # Rows held for quiet hours are not this request's to retry (their own QStash message sends them), but the
        # occurrence is not over, nor its nudge due, until they have gone.
        left = unfinished + counts.get("held", 0)
        if whole_slot and not left:
            everything = self.store.deliveries.slot_counts(message.id, slot)
            left = everything.get("pending", 0) + everything.get("in_flight", 0) + everything.get("held", 0)
        if not left and self.after_occurrence is not None:
            try:
                self.after_occurrence(message, slot, zone)
            except SchedulerUnavailable as exc:
                # Everything is sent; only the follow-up is missing. QStash's retry sends nothing and tries again.
                log.warning("nudge of %s/%s not scheduled: %s", message.id, slot, exc.message)
                self.store.deliveries.finish_run(run_id, "retry", counts)
                return Answer(503, {"messageId": message.id, "slot": slot, "error": "nudge not scheduled"})
        run = (run_id, "retry" if unfinished else "done", counts)
        close_occurrence(self.store, message, ended=False, on_finished=self.on_finished, unfinished=left, run=run)
        body = {
            "messageId": message.id,
            "slot": slot,
            "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0),
            "skipped": counts.get("skipped", 0),
            "pending": unfinished,
        }
        if counts.get("held"):
            body["held"] = counts["held"]
        if not unfinished:
            return Answer(200, body)
        if counts.get("in_flight", 0):  # rows held by another live worker: retry once its lease can have run out
            return Answer(503, body, {"Retry-After": str(int(self.lease.total_seconds()))})
        if cut_short:  # progress, not failure: go on at once rather than after QStash's growing backoff
            return Answer(503, body, {"Retry-After": str(DEADLINE_RETRY_AFTER)})
        return Answer(503, body)  # transient failures: QStash's own backoff applies


def _summary(answer: Answer) -> dict:
    """The answer's status and counts as log fields (an error's reason too; never message text)."""
    counts = {k: v for k, v in answer.body.items() if k in ("sent", "failed", "skipped", "pending", "chunks", "error")}
    return {"status": answer.status, **counts}
