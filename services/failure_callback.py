"""QStash's failure callback: a message exhausted its retries; mark its rows with QStash's reason and alert."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable

from services.alert_conditions import Reading
from services.alerts import AlertService
from services.delivery import Answer, permanent
from services.delivery_outcome import close_occurrence
from services.domain import Message
from services.fanout_chunks import MAX_CHUNK
from services.store import Store
from services.store.dead_letters import DeadLetter

log = logging.getLogger(__name__)
CALLBACK_MAX_BYTES = 262_144  # the callback carries the source body and the last answer, base64: more than a firing


class BadCallback(ValueError):
    """A callback body that is not QStash's."""


def read_callback(payload: dict) -> tuple[str, str | None, dict, str]:
    """(source QStash message id, DLQ id, the firing body it carried, QStash's reason) from a callback body."""
    source = payload.get("sourceMessageId")
    if not isinstance(source, str) or not 0 < len(source) <= 128:
        raise BadCallback("sourceMessageId is missing")
    dlq_id = payload.get("dlqId")
    try:
        firing = json.loads(base64.b64decode(payload.get("sourceBody") or "", validate=True) or b"{}")
        answer = base64.b64decode(payload.get("body") or "", validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError, TypeError):
        raise BadCallback("sourceBody and body must be base64") from None
    if not isinstance(firing, dict):
        firing = {}
    return source, dlq_id if isinstance(dlq_id, str) else None, firing, _reason(payload, answer)


def _reason(payload: dict, answer: str) -> str:
    """QStash's reason in words: how often it tried and what it last got back."""
    status, retried = payload.get("status"), payload.get("retried")
    tries = f"after {retried} retries" if isinstance(retried, int) else "after its retries"
    got = f"the webhook answered HTTP {status}" if isinstance(status, int) and status else "the webhook never answered"
    excerpt = " ".join(answer.split())[:200]
    return f"QStash gave up {tries}: {got}" + (f": {excerpt}" if excerpt else "")


class FailureCallbacks:
    """Turns one failure callback into a dead-letter record, failed rows and (once) an alert."""

    def __init__(self, store: Store, alerts: AlertService, on_finished: Callable[[Message], None]):
        self.store = store
        self.alerts = alerts
        self.on_finished = on_finished

    def handle(self, payload: dict) -> Answer:
        """Record the dead letter; a repeated callback for the same QStash message changes nothing."""
        try:
            source, dlq_id, firing, reason = read_callback(payload)
        except BadCallback as exc:
            return permanent(str(exc))
        message_id = firing.get("messageId") if isinstance(firing.get("messageId"), str) else None
        message = self.store.messages.get_unscoped(message_id[:64]) if message_id else None
        slot = self._slot(message, firing, source)
        clients = self._clients(message, firing)
        letter = DeadLetter(source, dlq_id, message.id if message else None, slot, reason, clients)
        if not self.store.dead_letters.record(letter):
            return Answer(200, {"recorded": False})
        log.warning("QStash message %s dead-lettered (message %s, slot %s)", source, letter.message_id, slot)
        if message is not None:
            self._settle(message, reason)
        self.alerts.raise_now(Reading("dead_letters", True, f"{reason} (message {letter.message_id or 'unknown'})."))
        return Answer(200, {"recorded": True})

    def _slot(self, message: Message | None, firing: dict, source: str) -> str | None:
        """Which occurrence: a chunk's (or support's retry's) own, else the one its runs worked on."""
        if message is None:
            return None
        if isinstance(firing.get("slot"), str):
            return firing["slot"][:40]
        earlier = self.store.deliveries.slot_of_qstash_message(source)
        return earlier[0] if earlier else ("once" if not message.recurring else None)

    def _clients(self, message: Message | None, firing: dict) -> list[str] | None:
        """The clients the failed delivery was for: a chunk's, or one zone group's; None for all of the slot."""
        if isinstance(firing.get("clients"), list):
            return [c for c in firing["clients"] if isinstance(c, str) and len(c) <= 36][:MAX_CHUNK]
        zone = firing.get("zone")
        if message is None or message.zone_mode == "coach" or not isinstance(zone, str):
            return None
        return [c.id for c in self.store.clients.recipients(message) if c.timezone == zone]

    def _settle(self, message: Message, reason: str) -> None:
        """Keep the message's counters true; a one-time send that never completed says why on its row."""
        if message.status == "scheduled":  # a paused or cancelled message keeps its status (and its counters)
            close_occurrence(self.store, message, ended=False, on_finished=self.on_finished)
        current = self.store.messages.get_unscoped(message.id)
        if current.kind == "once" and current.status == "scheduled":
            self.store.messages.system_update(message.id, status="error", last_error=reason[:500])
        else:
            self.store.messages.system_update(message.id, last_error=reason[:500])
