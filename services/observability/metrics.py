"""The webhook's Prometheus metrics: one Metrics per app, counted in every gunicorn worker.

Under gunicorn, gunicorn_conf.py sets PROMETHEUS_MULTIPROC_DIR before the workers start: each worker's
prometheus-client then writes its values to files there, and a scrape (answered by any one worker) adds up
every worker's. Without it (tests, the development server) the values live in this object's own registry.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds from an occurrence's scheduled time to its chat message being sent: a healthy send is within a few
# seconds; QStash's retry backoff (e^2.5 ≈ 12 s, then 2.5 min, 30 min) shows in the upper buckets.
LATENESS_BUCKETS = (0.5, 1, 2, 5, 10, 30, 60, 180, 600, 1800, 3600, 21600, 86400)
FANOUT_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)


class Metrics:
    """Every metric the webhook and its fan-out record."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        on = {"registry": self.registry}
        self.deliveries = Counter(
            "scheduler_deliveries", "Recipient sends by outcome (sent, failed, retry) and chat provider",
            ["outcome", "provider"], **on,
        )  # fmt: skip
        self.lateness = Histogram(
            "scheduler_delivery_lateness_seconds", "From the occurrence's scheduled time to the chat message sent",
            buckets=LATENESS_BUCKETS, **on,
        )  # fmt: skip
        self.fanout = Histogram(
            "scheduler_fanout_duration_seconds", "Time one delivery request spent fanning out", buckets=FANOUT_BUCKETS,
            **on,
        )  # fmt: skip
        self.chat_rate_limited = Counter(
            "scheduler_chat_rate_limited", "Chat provider answers 429 (rate limited)", ["provider"], **on
        )
        self.chat_retries = Counter(
            "scheduler_chat_retries",
            "Chat sends tried again in the same request after a rate limit",
            ["provider"],
            **on,
        )
        self.redeliveries = Counter(
            "scheduler_qstash_redeliveries", "Verified deliveries QStash had tried before (Upstash-Retried > 0)", **on
        )
        self.auth_failures = Counter(
            "scheduler_auth_failures", "Refused requests by reason", ["reason"], **on
        )  # fmt: skip

    def scrape(self, *collectors) -> bytes:
        """The text exposition: every worker's values (multi-process mode) or this object's, plus `collectors`."""
        registry = CollectorRegistry()
        if os.environ.get(MULTIPROC_ENV):
            MultiProcessCollector(registry)
        else:
            registry.register(self.registry)
        for collector in collectors:
            registry.register(collector)
        return generate_latest(registry)


class SchedulesByStatus:
    """A collector reading, at scrape time, how many scheduled messages are in each status (one GROUP BY)."""

    def __init__(self, count_by_status) -> None:
        self.count_by_status = count_by_status  # () -> {status: count}

    def collect(self):
        """One gauge sample per status."""
        family = GaugeMetricFamily("scheduler_schedules", "Scheduled messages by status", labels=["status"])
        for status, count in sorted(self.count_by_status().items()):
            family.add_metric([status], count)
        yield family


def provider_label(chat) -> str:
    """The chat gateway's name as a label value ("stream", "local_inbox")."""
    return str(getattr(chat, "name", "other")).replace(" ", "_")
