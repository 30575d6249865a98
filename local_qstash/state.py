"""What the routes share: the Core (store, settings, clock, wake-up) and how a request finds it."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from local_qstash.config import Config
from local_qstash.db import Database
from local_qstash.flow_gate import FlowGate
from local_qstash.metrics import ServerMetrics
from local_qstash.timeutil import Clock, now_ms

EXTENSION = "local_qstash"


@dataclass
class Core:
    """What the routes need: store, settings, clock, a way to wake the dispatcher, and flow control's counters."""

    db: Database
    config: Config
    clock: Clock
    wake: Callable[[], None]
    flow: FlowGate
    active: Callable[[], int]  # deliveries being sent right now
    metrics: ServerMetrics | None = None  # GET /metrics

    def now_ms(self) -> int:
        """Current time in epoch milliseconds from the injected clock."""
        return now_ms(self.clock)


def core() -> Core:
    """The Core of the app serving this request (put in app.extensions by create_app)."""
    return current_app.extensions[EXTENSION]
