"""Every gunicorn worker counts: the Procfile's webhook with two worker processes, scraped as Prometheus would."""

from __future__ import annotations

import httpx

from tests.harness import wait_until
from tests.observability.scrape import value
from tests.webhook.hostile import ServedWebhook


def _worker_files(metrics_dir) -> set[str]:
    """The worker pids that wrote counters (prometheus-client names its files counter_<pid>.db)."""
    return {path.stem.split("_", 1)[1] for path in metrics_dir.glob("counter_*.db")}


def test_metrics_add_up_every_worker(tmp_path):
    """Refused requests land on both workers; each scrape, whichever worker answers it, shows all of them."""
    metrics_dir = tmp_path / "prometheus"
    served = ServedWebhook(tmp_path / "data", WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    sent = 0
    try:

        def refuse_one_more() -> bool:
            """One unauthenticated delivery on a fresh connection; True once both workers have counted some."""
            nonlocal sent
            answer = httpx.post(served.url, content=b"{}", headers={"Connection": "close"}, timeout=10)
            assert answer.status_code == 401
            sent += 1
            return len(_worker_files(metrics_dir)) >= 2 and sent >= 20

        wait_until(refuse_one_more, timeout=120, interval=0)
        scrapes = [httpx.get(f"http://127.0.0.1:{served.port}/metrics", timeout=10) for _ in range(6)]
    finally:
        served.stop()
    assert len(_worker_files(metrics_dir)) == 2
    assert {s.status_code for s in scrapes} == {200}
    assert [value(s.text, "scheduler_auth_failures_total", reason="missing") for s in scrapes] == [sent] * 6
