"""One recipient's send: paced, waiting out short rate limits, and never started once the fan-out's time is up."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from services.chat.port import ChatGateway, OutgoingMessage, PermanentChatError, TransientChatError
from services.fanout_outcomes import OutcomeBuffer
from services.observability.metrics import Metrics, provider_label
from services.pacing import Pacer

log = logging.getLogger(__name__)
RATE_LIMIT_WAIT_MAX = 30.0  # longer provider waits are left to QStash's retry instead of holding a worker


class RecipientSender:
    """Sends one message and notes the outcome for its delivery row."""

    def __init__(
        self,
        chat: ChatGateway,
        pacer: Pacer,
        monotonic: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ):
        self.chat = chat
        self.pacer = pacer
        self.monotonic = monotonic
        self.metrics = metrics or Metrics()
        self.provider = provider_label(chat)

    def send(self, delivery_id: str, outgoing: OutgoingMessage, deadline: float, outcomes: OutcomeBuffer) -> bool:
        """Send and note the outcome; False when the deadline (a monotonic time) came first and nothing was sent."""
        for _ in range(3):
            self.pacer.wait_turn()
            if self.monotonic() >= deadline:
                return False
            try:
                result = self.chat.send(outgoing)
            except TransientChatError as exc:
                if exc.rate_limited:
                    self.metrics.chat_rate_limited.labels(self.provider).inc()
                wait = exc.retry_after
                if wait is not None and wait <= RATE_LIMIT_WAIT_MAX and self.monotonic() + wait < deadline:
                    log.info("chat provider asked us to wait %.1f s; sending again", wait)
                    self.metrics.chat_retries.labels(self.provider).inc()
                    self.pacer.hold_for(wait)
                    continue
                outcomes.failed(delivery_id, str(exc), permanent=False)
                return True
            except PermanentChatError as exc:
                outcomes.failed(delivery_id, str(exc), permanent=True)
                return True
            except Exception as exc:  # an unexpected gateway bug must not lose the row: QStash retries it
                log.exception("chat gateway failed for delivery %s", delivery_id)
                outcomes.failed(delivery_id, f"unexpected error: {type(exc).__name__}", permanent=False)
                return True
            outcomes.sent(delivery_id, result.chat_message_id)
            return True
        outcomes.failed(delivery_id, "chat provider kept rate limiting", permanent=False)
        return True
