"""Nudges: after an occurrence's fan-out, one delayed QStash delivery sends the message's follow-up, once, to
the clients who have not replied by then — checked again right before each send."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from services.chat.port import ChatGateway, ChatUser, OutgoingMessage
from services.delivery import DEADLINE_RETRY_AFTER, Answer, permanent
from services.domain import Actor, Client, Message
from services.errors import NotFound, SchedulerUnavailable, UserError
from services.firing_body import MAX_ID
from services.pacing import Pacer
from services.qstash.port import Scheduler
from services.recipient_send import RecipientSender
from services.store import Store
from services.store.base import Clock
from services.templates import render

log = logging.getLogger(__name__)

# A check run right before each nudge goes out: the reason to hold it back, or None to send. Quiet hours and a
# per-client frequency cap belong here (NudgeService.checks), next to "the client has replied".
SendCheck = Callable[[Client, datetime], str | None]


def nudge_chat_id(delivery_id: str) -> str:
    """The deterministic chat message id of a delivery's nudge: a resend is 'already exists'."""
    return f"nudge-{delivery_id}"


class _Outcomes:
    """What RecipientSender reports, written straight to the nudge's send rows."""

    def __init__(self, store: Store):
        self.store = store

    def sent(self, send_id: str, chat_message_id: str) -> None:
        self.store.nudges.sent(send_id, chat_message_id)

    def failed(self, send_id: str, error: str, permanent: bool) -> None:
        self.store.nudges.failed(send_id, error, permanent)


class NudgeService:
    """Schedules each occurrence's nudge, sends it exactly once, and lets the Schedules page list and cancel it."""

    def __init__(
        self,
        store: Store,
        chat: ChatGateway,
        pacer: Pacer,
        clock: Clock,
        scheduler: Scheduler,
        lease_seconds: float = 60.0,
        deadline_seconds: float = 20.0,
        checks: list[SendCheck] | None = None,
    ):
        self.store = store
        self.chat = chat
        self.sender = RecipientSender(chat, pacer)
        self.clock = clock
        self.scheduler = scheduler
        self.lease = timedelta(seconds=lease_seconds)
        self.deadline_seconds = deadline_seconds
        self.checks = list(checks or [])

    # After a fan-out (DeliveryService calls this before it closes the occurrence).

    def schedule(self, message: Message, slot: str, zone: str) -> None:
        """Create the occurrence's nudge once and hand it to QStash with its delay; SchedulerUnavailable if refused."""
        if message.follow_up is None:
            return
        due = self.clock() + timedelta(seconds=message.follow_up.delay_seconds)
        nudge = self.store.nudges.ensure(message.id, message.coach_id, slot, zone, due)
        if nudge["qstash_message_id"] or nudge["status"] != "scheduled":
            return  # a retried fan-out: published already
        body = {"nudgeId": nudge["id"], "coachId": message.coach_id}
        not_before = int(nudge["due_at"].timestamp())
        qstash_id = self.scheduler.publish_nudge(body, not_before, f"cms-nudge-{nudge['id']}")
        self.store.nudges.set_qstash_id(nudge["id"], qstash_id)

    # The nudge route.

    def fire(self, payload: dict, qstash_message_id: str | None, retried: int) -> Answer:
        """Send the follow-up to those who have not replied; the answer tells QStash whether to retry."""
        deadline = time.monotonic() + self.deadline_seconds
        nudge_id, coach_id = payload.get("nudgeId"), payload.get("coachId")
        if not all(isinstance(v, str) and 0 < len(v) <= MAX_ID and v.isprintable() for v in (nudge_id, coach_id)):
            return permanent("body needs nudgeId and coachId strings")
        nudge = self.store.nudges.get(nudge_id)
        if nudge is None or nudge["coach_id"] != coach_id:
            return permanent("unknown nudge")
        if nudge["status"] != "scheduled":
            return Answer(200, {"nudgeId": nudge_id, "skipped": f"nudge is {nudge['status']}"})
        message = self.store.messages.get_unscoped(nudge["message_id"])
        reason = self._skip_reason(message)
        if reason:
            self.store.nudges.finish(nudge_id, "skipped", reason)
            return Answer(200, {"nudgeId": nudge_id, "skipped": reason})
        self.store.nudges.add_recipients(nudge)
        owner = qstash_message_id or f"nudge-{nudge_id}"
        claimed = self.store.nudges.claim(nudge_id, owner, retried, self.lease)
        finished = self._send(nudge_id, message, claimed, deadline)
        return self._answer(nudge_id, cut_short=not finished)

    def _skip_reason(self, message: Message | None) -> str | None:
        """Why a whole nudge goes to nobody, or None."""
        if message is None or message.deleted_at is not None:
            return "message deleted"
        if message.status in ("cancelled", "paused"):
            return f"message is {message.status}"
        if message.follow_up is None:
            return "follow-up removed"
        if not self.store.accounts.get(message.coach_id).active:
            return "coach account is inactive"
        return None

    def _send(self, nudge_id: str, message: Message, claimed: list[tuple[str, str, str]], deadline: float) -> bool:
        """Send each claimed row unless a check holds it back; False when the deadline left some unsent."""
        if not claimed:
            return True
        coach = self.store.accounts.get(message.coach_id)
        owner = Actor(coach.id, "coach")
        clients = {c.id: c for c in self.store.clients.get_many(owner, [client for _, _, client in claimed])}
        sender = ChatUser(coach.chat_user_id, coach.display_name)
        self.chat.prepare_users([sender] + [ChatUser(c.chat_user_id, c.name) for c in clients.values()])
        outcomes = _Outcomes(self.store)
        for send_id, delivery_id, client_id in claimed:
            client = clients.get(client_id)
            hold = self._hold_reason(nudge_id, delivery_id, client)
            if hold:
                self.store.nudges.held(send_id, hold)
                continue
            text = render(message.follow_up.body, client, coach.display_name)
            outgoing = OutgoingMessage(
                nudge_chat_id(delivery_id), sender, ChatUser(client.chat_user_id, client.name), text
            )
            if not self.sender.send(send_id, outgoing, deadline, outcomes):
                return False  # the rest stay claimed by this QStash message: its retry takes them over
        return True

    def _hold_reason(self, nudge_id: str, delivery_id: str, client: Client | None) -> str | None:
        """The one place a nudge is checked right before it goes: why to hold it back, or None to send it."""
        if client is None or not client.active:
            return "client is inactive"
        if self.store.nudges.get(nudge_id)["status"] == "cancelled":
            return "nudge cancelled"
        if self.store.replies.replied(delivery_id):
            return "replied before the nudge"
        now = self.clock()
        return next((reason for check in self.checks if (reason := check(client, now))), None)

    def _answer(self, nudge_id: str, cut_short: bool) -> Answer:
        """Close the nudge once every row is sent, held or failed for good; otherwise ask QStash to retry."""
        counts = self.store.nudges.counts(nudge_id)
        unfinished = counts.get("pending", 0) + counts.get("in_flight", 0)
        body = {
            "nudgeId": nudge_id,
            "sent": counts.get("sent", 0),
            "held": counts.get("skipped", 0),
            "failed": counts.get("failed", 0),
            "pending": unfinished,
        }
        if not unfinished:
            self.store.nudges.finish(nudge_id, "sent", f"{body['sent']} sent, {body['held']} held back")
            return Answer(200, body)
        if counts.get("in_flight", 0) and not cut_short:
            return Answer(503, body, {"Retry-After": str(int(self.lease.total_seconds()))})
        if cut_short:
            return Answer(503, body, {"Retry-After": str(DEADLINE_RETRY_AFTER)})
        return Answer(503, body)

    # The Schedules page.

    def for_message(self, actor: Actor, message_id: str) -> list[dict]:
        """The message's nudges with their counts (NotFound for a message the actor may not see)."""
        self.store.messages.get(actor, message_id)
        return self.store.nudges.for_message(actor, message_id)

    def cancel(self, actor: Actor, nudge_id: str) -> None:
        """Cancel a nudge that has not gone: recorded first (the route honours it), then QStash's copy, if it can."""
        nudge = self.store.nudges.get(nudge_id)
        if nudge is None:
            raise NotFound("No such nudge.")
        # Scoped: another coach's nudge is "not found".
        self.store.messages.get(actor, nudge["message_id"], include_deleted=True)
        if not self.store.nudges.cancel(actor, nudge):
            current = self.store.nudges.get(nudge_id)["status"]
            raise UserError(f"This nudge is already {current}.")
        if nudge["qstash_message_id"]:
            try:
                self.scheduler.cancel_message(nudge["qstash_message_id"])
            except SchedulerUnavailable as exc:
                # Harmless: the route answers a cancelled nudge with 200 and sends nothing.
                log.warning("nudge %s cancelled; QStash kept its delivery: %s", nudge_id, exc.message)
