"""The webhook's capacity, which sizes the embedded QStash's deliveries in flight and gunicorn's workers."""

import os

from services import local_runner
from services.serving_capacity import cores, requests_at_once, worker_processes


def test_one_worker_per_core_unless_web_concurrency_says(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert worker_processes() == cores() >= 1
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert worker_processes() == 3
    assert requests_at_once(8) == 24


def test_the_embedded_qstash_sends_as_many_at_once_as_the_webhook_serves(monkeypatch, tmp_path):
    """`make run`'s local QStash gets --workers = webhook workers x WEBHOOK_THREADS (2 x 5 here)."""
    from services.config import load_settings

    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    started = {}
    monkeypatch.setattr(os, "execve", lambda path, argv, env: started.update(argv=argv))
    local_runner.run_local_qstash(load_settings(data_dir=tmp_path, webhook_threads=5))
    argv = started["argv"]
    assert argv[argv.index("--workers") + 1] == "10"
