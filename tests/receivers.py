"""HTTP destinations for tests: a recording receiver with scripted answers, and the request log it shares."""

import socket
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def header(self, name: str, default: str | None = None) -> str | None:
        """Case-insensitive header lookup."""
        return self.headers.get(name.lower(), default)


@dataclass
class Answer:
    """A scripted answer: status, headers, and an optional delay before answering."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b"ok"


class _Server(ThreadingHTTPServer):
    """Threaded server that stays quiet when a client gives up (timeout tests)."""

    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A peer hanging up mid-answer is expected here, not an error."""


class RequestLog:
    """Reading side shared by the receivers: subclasses fill `requests` under `_cond` and define base_url."""

    requests: list[Received]
    _cond: threading.Condition
    base_url: str

    def url(self, path: str) -> str:
        """Absolute URL of a path on this receiver."""
        return self.base_url + path

    def received(self, path: str | None = None) -> list[Received]:
        """Requests so far, optionally only those to `path`."""
        with self._cond:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, count: int, path: str | None = None, timeout: float = 10.0) -> list[Received]:
        """Block until at least `count` requests (to `path`) arrived, or the timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len([r for r in self.requests if path is None or r.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                # Short waits: a receiver may batch its notifications (the fast one notifies every 50).
                self._cond.wait(min(left, 0.2))
        return self.received(path)


class RecordingReceiver(RequestLog):
    """HTTP/1.1 keep-alive server on 127.0.0.1 that records requests; 200 unless scripted."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.requests: list[Received] = []
        self._scripts: dict[str, deque] = defaultdict(deque)
        self._cond = threading.Condition()
        self._server = _Server((host, port), self._handler_class())
        self._thread: threading.Thread | None = None
        self.active = 0  # requests being answered right now
        self.max_active = 0  # the most answered at once so far

    @property
    def base_url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self._server.server_port}"

    def script(self, path: str, *answers: Answer) -> None:
        """Queue answers for the next requests to `path` (then back to 200)."""
        with self._cond:
            self._scripts[path].extend(answers)

    def start(self) -> "RecordingReceiver":
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()

    def _record(self, req: Received) -> Answer:
        """Store a request and pick its answer."""
        with self._cond:
            self.requests.append(req)
            self._cond.notify_all()
            queue = self._scripts.get(req.path)
            return queue.popleft() if queue else Answer()

    def _busy(self, change: int) -> None:
        """Count a request starting (+1) or finishing (-1) its answer; keep the peak."""
        with self._cond:
            self.active += change
            self.max_active = max(self.max_active, self.active)

    def _handler_class(self):
        """A handler class bound to this receiver."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without NODELAY, Nagle plus
                # the client's delayed ACK adds ~40 ms to every keep-alive answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                answer = receiver._record(Received(self.command, self.path, headers, body, time.time()))
                receiver._busy(+1)
                if answer.delay:
                    time.sleep(answer.delay)
                receiver._busy(-1)  # before the answer is written: the sender cannot have seen it yet
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, *args) -> None:
                """Keep test output quiet."""

        return Handler
