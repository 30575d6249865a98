"""Composition root: create_server(config, clock) wires store, dispatcher and HTTP front."""

import gc
import signal
import socket
import sys
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from local_qstash.app import create_app
from local_qstash.config import Config, config_from_args
from local_qstash.db import Database
from local_qstash.dispatcher import Dispatcher
from local_qstash.metrics import ServerMetrics
from local_qstash.schema import UnusableDatabase
from local_qstash.sender import Sender
from local_qstash.state import Core
from local_qstash.timeutil import Clock, system_clock


class _QuietHandler(WSGIRequestHandler):
    """HTTP/1.1 keep-alive (the SDK reuses connections) and no per-request log lines."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        """Disable Nagle: headers and body are separate writes (else ~40 ms per answer)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *args, **kwargs) -> None:
        """Skip access logging: it costs time and could echo query strings."""


class LocalQStash:
    """A running (or ready to run) local QStash: HTTP front + dispatcher over one SQLite file."""

    def __init__(self, config: Config, clock: Clock = system_clock) -> None:
        self.config = config
        self.db = Database(config.data_dir, config.busy_timeout)
        self.metrics = ServerMetrics(self.db)
        self.dispatcher = Dispatcher(self.db, config, clock, self.metrics)
        core = Core(
            db=self.db,
            config=config,
            clock=clock,
            wake=self.dispatcher.wake,
            flow=self.dispatcher.gate,
            active=self.dispatcher.active,
            metrics=self.metrics,
        )
        self.app = create_app(core)
        # Binding happens here so port 0 resolves before start() and base_url is known.
        self._http = make_server(config.host, config.port, self.app, threaded=True, request_handler=_QuietHandler)
        self._http.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._sender: Sender | None = None
        self._stopped = False

    @property
    def base_url(self) -> str:
        """Where the API listens, e.g. http://127.0.0.1:8080."""
        return f"http://{self.config.host}:{self._http.server_port}"

    def start(self) -> "LocalQStash":
        """Start delivering and serving in background threads."""
        # The delivery clients are made here rather than at import or build time.
        self._sender = Sender()
        self.dispatcher.start(self._sender)
        # A short poll interval keeps stop() quick; idle cost is negligible.
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="lq-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, finish running deliveries, close the store (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join()
            self.dispatcher.stop()
        if self._sender is not None:
            self._sender.close()  # after the dispatcher: no delivery is running any more
        self.db.close()

    def __enter__(self) -> "LocalQStash":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def create_server(config: Config, clock: Clock = system_clock) -> LocalQStash:
    """Build a server without starting it (tests pass port 0 and their own clock)."""
    return LocalQStash(config, clock)


def start_in_thread(config: Config, clock: Clock = system_clock) -> LocalQStash:
    """Build and start a server in background threads; call .stop() when done."""
    return create_server(config, clock).start()


def main(argv=None) -> int:
    """CLI entry: serve until SIGINT / SIGTERM."""
    config = config_from_args(argv)
    # The project's structured logs (JSON or text, secrets redacted), set up here at the server's start.
    from services.observability.logs import configure

    secrets = (config.token, config.current_signing_key, config.next_signing_key)
    configure(config.log_format, config.log_level, secrets=secrets)
    try:
        server = create_server(config).start()
    except UnusableDatabase as exc:
        # One line a supervisor can show; the file is left exactly as it was.
        print(f"local_qstash: {str(exc).replace(chr(10), ' ')}", file=sys.stderr)  # noqa: T201
        return 1
    # What start-up built lives as long as the process: out of the collector's view, which walked it all on
    # every full collection (a fifth of the server's CPU in a burst of deliveries).
    gc.freeze()
    # The one line a supervisor (and the restart test) reads: the address, never a secret.
    print(f"local_qstash listening on {server.base_url} (data: {config.data_dir})", flush=True)  # noqa: T201
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
