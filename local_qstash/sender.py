"""HTTP/1.1 delivery over per-thread keep-alive sockets.

A small hand-written client instead of http.client: one write per request and a lean response
parser roughly halve the CPU per delivery, which is what bounds throughput on two cores.
"""

import socket
import ssl
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_KEPT_BODY = 64 * 1024
MAX_HEADER_LINES = 200


class ProtocolError(Exception):
    """The peer did not speak HTTP/1.x as expected."""


@dataclass
class Outcome:
    """What the destination answered, or why there was no answer."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Any 2xx is a successful delivery."""
        return self.status is not None and 200 <= self.status < 300


class _Conn:
    """One keep-alive connection: the socket and a buffered reader on it."""

    def __init__(self, scheme: str, host: str, port: int, timeout: float) -> None:
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        self.sock = sock
        self.reader = sock.makefile("rb")
        self.used = False

    def close(self) -> None:
        """Close reader and socket."""
        self.reader.close()
        self.sock.close()


def _request_bytes(method: str, host: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    """Serialise a request in one buffer (one write: no Nagle/delayed-ACK stall)."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ProtocolError(f"invalid header {name!r}")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _read_response(reader, method: str):
    """Read status, headers and body; return (status, headers, body, keep_alive)."""
    parts = reader.readline(65537).split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
        raise ProtocolError("bad status line")
    status, headers = int(parts[1]), {}
    for _ in range(MAX_HEADER_LINES):
        line = reader.readline(65537)
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip()] = value.strip()
    low = {k.lower(): v for k, v in headers.items()}
    keep_alive = low.get("connection", "").lower() != "close" and parts[0] != b"HTTP/1.0"
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return status, headers, b"", keep_alive
    if "chunked" in low.get("transfer-encoding", "").lower():
        return status, headers, _read_chunked(reader), keep_alive
    if "content-length" in low:
        return status, headers, reader.read(int(low["content-length"])), keep_alive
    return status, headers, reader.read(), False  # body ends when the peer closes


def _read_chunked(reader) -> bytes:
    """Decode a chunked body."""
    chunks = []
    while True:
        size = int(reader.readline(1024).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while reader.readline(65537) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        chunks.append(reader.read(size))
        reader.readline(3)


class Sender:
    """Sends requests; each worker thread keeps its own connections, one per origin."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: set = set()  # every open connection, so close_all() can reach other threads'
        self._lock = threading.Lock()

    def send(self, url: str, method: str, headers: dict[str, str], body: bytes, timeout: float) -> Outcome:
        """Send one request; connection errors and timeouts become an Outcome with error."""
        parts = urlsplit(url)
        scheme = parts.scheme
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            data = _request_bytes(method, parts.netloc.rpartition("@")[2], target, headers, body)
        except ProtocolError as exc:
            return Outcome(error=str(exc))
        for attempt in (0, 1):
            conn = None
            try:
                conn = self._connection(key, timeout)
                reused, conn.used = conn.used, True
                conn.sock.sendall(data)
                status, answer, content, keep = _read_response(conn.reader, method)
            except TimeoutError:
                self._drop(key)
                return Outcome(error=f"request timed out after {timeout:g}s")
            except (OSError, ProtocolError, ValueError) as exc:
                self._drop(key)
                stale = conn is not None and reused and attempt == 0
                if stale and isinstance(exc, (ConnectionError, ProtocolError)):
                    continue  # a kept-alive socket the peer had closed: once more on a fresh one
                return Outcome(error=f"connection error: {exc!r}")
            if not keep:
                self._drop(key)
            return Outcome(status=status, headers=answer, body=content[:MAX_KEPT_BODY])
        return Outcome(error="connection error")  # pragma: no cover - loop always returns

    def _connection(self, key, timeout: float) -> _Conn:
        """This thread's connection to an origin, opened on first use."""
        pool = self._pool()
        conn = pool.get(key)
        if conn is None:
            conn = pool[key] = _Conn(*key, timeout)
            with self._lock:
                self._all.add(conn)
        conn.sock.settimeout(timeout)
        return conn

    def _drop(self, key) -> None:
        """Close and forget this thread's connection to an origin."""
        conn = self._pool().pop(key, None)
        if conn is not None:
            with self._lock:
                self._all.discard(conn)
            conn.close()

    def close_all(self) -> None:
        """Close every connection (call once the workers have stopped)."""
        with self._lock:
            conns, self._all = self._all, set()
        for conn in conns:
            conn.close()

    def _pool(self) -> dict:
        """This thread's connections."""
        if not hasattr(self._local, "conns"):
            self._local.conns = {}
        return self._local.conns
