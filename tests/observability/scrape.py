"""Reading a Prometheus text exposition the way a scraper does (prometheus-client's own parser)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) → value, for every sample of the exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value; 0 when it is not there yet (a labelled counter appears on first use)."""
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def webhook_metrics(product, **headers: str) -> str:
    """GET /metrics from the running webhook, over HTTP from this machine."""
    base = product.webhook_url.split("/api/", 1)[0]
    answer = httpx.get(f"{base}/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.text


class Readings:
    """Before-and-after readings of one metrics page: `delta` is what happened in between."""

    def __init__(self, read):
        self.read = read
        self.before = read()

    def delta(self, name: str, **labels: str) -> float:
        """How much a sample grew since the first reading."""
        return value(self.read(), name, **labels) - value(self.before, name, **labels)
