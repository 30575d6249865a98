"""One send rate for the whole deployment: the QStash flow control chunk deliveries carry, from the chat limit.

The chat provider counts sends per minute for the whole app. QStash flow control counts deliveries (here: chunk
deliveries) per key. So every chunk of every fan-out, from every instance, carries one key per chat app and
`rate=1` chunk per `period` seconds (a divisor of 60): starts of the key are at least a period apart, so at most
60 / period of them fall in any 60 s. A chunk's sends land a little after its start (QStash, our webhook, the
network), so a window of the provider may also catch the sends of one more chunk: each chunk carries at most
`chunk_size = floor(limit / (60 / period + 1))` recipients, and no minute of the provider, however aligned, sees
more than the limit while the sends of a chunk take less than a period.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

PERIODS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)  # divisors of the provider's minute
PREFERRED_PERIOD = 6  # among equally fast plans, the one nearest a chunk every 6 s: fewer QStash messages
PARALLELISM = 2  # a slow chunk does not hold up the next one; the rate still bounds starts


@dataclass(frozen=True)
class SendFlow:
    """The flow control every chunk delivery carries, and the chunk size that goes with it."""

    key: str
    period: int  # seconds
    chunk_size: int
    rate: int = 1  # chunks per period
    parallelism: int = PARALLELISM

    @property
    def sends_per_minute(self) -> int:
        """The most this lets through in a minute."""
        return self.rate * self.chunk_size * 60 // self.period


def flow_key(chat_app: str) -> str:
    """One key per chat app (its limit is per app), named without revealing the app's key."""
    return "chat-sends-" + hashlib.sha256(chat_app.encode()).hexdigest()[:12]


def plan_send_flow(sends_per_minute: int, max_chunk: int, chat_app: str) -> SendFlow | None:
    """The period and chunk size that come closest to the limit (ties: nearest a 6 s period); None: no limit."""
    if sends_per_minute <= 0:
        return None

    def chunk(period: int) -> int:
        return min(max_chunk, sends_per_minute // (60 // period + 1))

    usable = [p for p in PERIODS if chunk(p) >= 1]
    if not usable:
        return None  # below one send a minute there is nothing to pace: the 429 backstop alone applies
    best = max(usable, key=lambda p: (Fraction(chunk(p) * 60, p), -abs(p - PREFERRED_PERIOD)))
    return SendFlow(flow_key(chat_app), best, chunk(best))
