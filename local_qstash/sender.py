"""HTTP delivery over per-thread keep-alive connections (stdlib http.client: low overhead)."""
import http.client
import socket
import threading
from dataclasses import dataclass, field
from typing import Dict, Optional
from urllib.parse import urlsplit

MAX_KEPT_BODY = 64 * 1024
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
          http.client.CannotSendRequest)


@dataclass
class Outcome:
    """What the destination answered, or why there was no answer."""

    status: Optional[int] = None
    headers: Dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        """Any 2xx is a successful delivery."""
        return self.status is not None and 200 <= self.status < 300


class Sender:
    """Sends requests; each worker thread keeps its own connections, one per origin."""

    def __init__(self) -> None:
        self._local = threading.local()

    def send(self, url: str, method: str, headers: Dict[str, str], body: bytes,
             timeout: float) -> Outcome:
        """Send one request; connection errors and timeouts become an Outcome with error."""
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.hostname, parts.port)
        for attempt in (0, 1):
            conn, reused = self._connection(key, timeout)
            try:
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except _STALE as exc:
                self._drop(key)
                # A kept-alive socket the peer already closed: retry once on a fresh one.
                if reused and attempt == 0:
                    continue
                return Outcome(error=f"connection error: {exc!r}")
            except (socket.timeout, TimeoutError):
                self._drop(key)
                return Outcome(error=f"request timed out after {timeout:g}s")
            except (OSError, http.client.HTTPException) as exc:
                self._drop(key)
                return Outcome(error=f"connection error: {exc!r}")
            if resp.will_close:
                self._drop(key)
            return Outcome(status=resp.status, headers=dict(resp.getheaders()),
                           body=data[:MAX_KEPT_BODY])
        return Outcome(error="connection error")  # pragma: no cover - loop always returns

    def _connection(self, key, timeout: float):
        """Return (connection, reused) for this thread and origin."""
        pool = self._pool()
        conn = pool.get(key)
        if conn is not None:
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            return conn, conn.sock is not None
        scheme, host, port = key
        cls = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        conn = cls(host, port, timeout=timeout)
        pool[key] = conn
        return conn, False

    def _drop(self, key) -> None:
        """Close and forget this thread's connection to an origin."""
        conn = self._pool().pop(key, None)
        if conn is not None:
            conn.close()

    def _pool(self) -> dict:
        """This thread's connections."""
        if not hasattr(self._local, "conns"):
            self._local.conns = {}
        return self._local.conns

    def close_thread(self) -> None:
        """Close the calling thread's connections."""
        for key in list(self._pool()):
            self._drop(key)
