"""Sends through a gateway that takes a whole batch at once (the local inbox): one write per batch."""

from __future__ import annotations

import logging
import time

from services.chat.port import ChatError, OutgoingMessage, PermanentChatError, SendResult
from services.fanout_outcomes import OutcomeBuffer

log = logging.getLogger(__name__)


def send_in_batches(
    chat, jobs: list[tuple[str, OutgoingMessage]], batch: int, deadline: float, outcomes: OutcomeBuffer
) -> bool:
    """Send (delivery id, message) pairs a batch at a time; False when the deadline left some unsent."""
    for start in range(0, len(jobs), batch):
        if time.monotonic() >= deadline:
            return False
        chunk = jobs[start : start + batch]
        try:
            results: list[SendResult | ChatError | Exception] = chat.send_batch([m for _, m in chunk])
        except Exception as exc:  # an unexpected gateway bug must not lose the rows: QStash retries them
            log.exception("chat gateway failed for a batch of %d", len(chunk))
            results = [exc] * len(chunk)
        sent, failed = [], []
        for (delivery_id, _), result in zip(chunk, results, strict=True):
            if isinstance(result, SendResult):
                sent.append((delivery_id, result.chat_message_id))
            elif isinstance(result, ChatError):
                failed.append((delivery_id, str(result), isinstance(result, PermanentChatError)))
            else:
                failed.append((delivery_id, f"unexpected error: {type(result).__name__}", False))
        outcomes.add_many(sent, failed)
    return True
