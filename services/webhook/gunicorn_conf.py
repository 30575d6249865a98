"""gunicorn settings for the webhook, used by the Procfile and in production (`gunicorn -c` this file).

gunicorn's asyncio worker (`asgi`) with services.webhook.asgi in front of Flask: bodies are read on the event
loop, so slow clients hold no thread. One worker process per core the process may use.
"""

import os


def _cores() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


bind = f"{os.environ.get('WEBHOOK_HOST', '127.0.0.1')}:{os.environ.get('WEBHOOK_PORT', '8000')}"
worker_class = "asgi"
workers = int(os.environ.get("WEB_CONCURRENCY") or _cores())
timeout = 30  # worker heartbeat, and the longest wait for the next piece of a request body
graceful_timeout = 30  # room for a fan-out (FANOUT_DEADLINE_SECONDS, 20 s) to finish on shutdown
keepalive = 5
asgi_lifespan = "off"  # nothing to start or stop per worker beyond what create_asgi_app builds
# No control socket: its default path ($XDG_RUNTIME_DIR or ~/.gunicorn) is shared by every gunicorn of the
# user, so a second install or a test run would take over (or remove) the first one's socket.
control_socket_disable = True


def on_starting(_server) -> None:
    """Migrate the embedded SQLite database once, in the master, before the workers would race to do it."""
    from services.config import load_settings
    from services.db.engine import migrate, resolve_database_url

    settings = load_settings()
    if settings.embedded_database:
        migrate(resolve_database_url(settings))
