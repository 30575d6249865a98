"""The local QStash's Prometheus metrics (its own registry): delivery attempts, dead letters, the DLQ's size."""

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily

from local_qstash.db import Database

RESULTS = {"DELIVERED": "delivered", "RETRY": "retry", "FAILED": "dead_letter"}


class ServerMetrics:
    """Counters the dispatcher feeds, and a gauge read from the store at scrape time."""

    def __init__(self, db: Database) -> None:
        self.registry = CollectorRegistry()
        self.attempts = Counter(
            "local_qstash_deliveries",
            "Delivery attempts by result (delivered, retry, dead_letter)",
            ["result"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "local_qstash_dead_letters", "Messages moved to the dead-letter queue", registry=self.registry
        )
        self.registry.register(_DeadLetterQueue(db))

    def attempt(self, state: str) -> None:
        """Count one recorded attempt by the state it left its message in."""
        self.attempts.labels(RESULTS.get(state, state.lower())).inc()
        if state == "FAILED":
            self.dead_letters.inc()


class _DeadLetterQueue:
    """How many entries the DLQ holds now (one COUNT at scrape time)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self):
        """One gauge sample."""
        family = GaugeMetricFamily("local_qstash_dlq_messages", "Entries in the dead-letter queue now")
        family.add_metric([], self.db.query("SELECT COUNT(*) AS n FROM dlq")[0]["n"])
        yield family
