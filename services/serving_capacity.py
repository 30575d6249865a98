"""How many requests the webhook serves at once: its worker processes times each one's Flask threads (no Flask here:
the gunicorn config and the embedded QStash's launcher both read it)."""

from __future__ import annotations

import os


def cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_processes() -> int:
    """gunicorn worker processes: WEB_CONCURRENCY, else one per core."""
    return int(os.environ.get("WEB_CONCURRENCY") or cores())


def requests_at_once(webhook_threads: int) -> int:
    """Requests the whole webhook runs at once (more wait on its event loops, holding no thread)."""
    return worker_processes() * webhook_threads
