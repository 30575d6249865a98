"""gunicorn settings for the webhook, used by the Procfile and in production (`gunicorn -c` this file).

gunicorn's asyncio worker (`asgi`) with services.webhook.asgi in front of Flask: bodies are read on the event
loop, so slow clients hold no thread. One worker process per core the process may use.
"""

import gc
import os
import shutil
import tempfile
from pathlib import Path

from services.serving_capacity import worker_processes

METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's multi-process mode reads it in each worker


bind = f"{os.environ.get('WEBHOOK_HOST', '127.0.0.1')}:{os.environ.get('WEBHOOK_PORT', '8000')}"
worker_class = "asgi"
workers = worker_processes()
timeout = 30  # worker heartbeat, and the longest wait for the next piece of a request body
graceful_timeout = 30  # room for a fan-out (FANOUT_DEADLINE_SECONDS, 20 s) to finish on shutdown
keepalive = 5
asgi_lifespan = "off"  # nothing to start or stop per worker beyond what create_asgi_app builds
# No control socket: its default path ($XDG_RUNTIME_DIR or ~/.gunicorn) is shared by every gunicorn of the
# user, so a second install or a test run would take over (or remove) the first one's socket.
control_socket_disable = True


def on_starting(server) -> None:
    """Prepare the metrics directory and migrate the embedded SQLite database, once, before any worker starts."""
    _metrics_dir(server)
    _migrate_embedded()


def post_worker_init(_worker) -> None:
    """The worker's app is built: freeze what exists (modules, the app, its services) out of the collector's view.

    Those objects live as long as the worker, yet every full collection walked them all again: profiled under a
    burst of deliveries, the collector took a fifth of a worker's CPU. (It also keeps the pages shared with the
    master from being copied by the collector's writes.)
    The time zone list is read from disk here too, not by the first delivery of a burst.
    """
    from services import recurrence

    recurrence.zone_names_set()
    gc.freeze()


def child_exit(_server, worker) -> None:
    """A worker is gone: its live gauges are dropped (its counters stay in the sum, as Prometheus expects)."""
    if os.environ.get(METRICS_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the metrics directory this master made (a given one is left in place)."""
    made = getattr(server, "metrics_dir_made", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)


def _metrics_dir(server) -> None:
    """Every worker writes its metrics to files in one directory: PROMETHEUS_MULTIPROC_DIR, or a fresh one.

    Set in the master before the workers fork (and before any of them imports prometheus-client), and emptied
    first, so numbers from an earlier run are not added to this one's.
    """
    given = os.environ.get(METRICS_ENV)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return
    server.metrics_dir_made = tempfile.mkdtemp(prefix="webhook-metrics-")
    os.environ[METRICS_ENV] = server.metrics_dir_made


def _migrate_embedded() -> None:
    """Migrate the embedded SQLite database in the master, before the workers would race to do it."""
    from services.config import load_settings
    from services.db.engine import migrate, resolve_database_url

    settings = load_settings()
    if settings.embedded_database:
        migrate(resolve_database_url(settings))
