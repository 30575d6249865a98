"""One send rate for the whole deployment: the QStash flow control chunk deliveries carry, from the chat limit.

The chat provider counts sends per minute for the whole app. QStash flow control counts deliveries (here: chunk
deliveries) per key. So every chunk of every fan-out, from every instance, carries one key per chat app, `rate=1`
chunk per `period` seconds (a divisor of 60), and at most `chunk_size` recipients, where
`chunk_size = floor(HEADROOM x limit x period / 60)`. Starts of one key are at least `period` apart, so any 60 s
span holds at most 60 / period of them: at most HEADROOM x limit sends, however the provider's minute is
aligned. The 1 % headroom absorbs a chunk whose sends straddle the provider's window edge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from fractions import Fraction

HEADROOM = Fraction(99, 100)
PERIODS = (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)  # divisors of the provider's minute
PREFERRED_PERIOD = 6  # a chunk every 6 s: short bursts, few QStash messages (~99 recipients at 1,000/min)
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
        return min(max_chunk, int(HEADROOM * sends_per_minute * period / 60))

    usable = [p for p in PERIODS if chunk(p) >= 1]
    if not usable:
        return None  # below one send a minute there is nothing to pace: the 429 backstop alone applies
    best = max(usable, key=lambda p: (Fraction(chunk(p) * 60, p), -abs(p - PREFERRED_PERIOD)))
    return SendFlow(flow_key(chat_app), best, chunk(best))
