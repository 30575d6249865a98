"""A minimal asyncio HTTP/1.1 receiver for load tests: records requests, answers 200 at once."""

import asyncio
import threading
import time

from tests.receivers import Received, RequestLog

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


class _Protocol(asyncio.Protocol):
    """Parses keep-alive requests off one connection (no chunked bodies: QStash never sends them)."""

    def __init__(self, owner: "FastReceiver") -> None:
        self._owner = owner
        self._buffer = b""
        self._transport = None

    def connection_made(self, transport) -> None:
        self._transport = transport
        self._owner._transports.add(transport)

    def connection_lost(self, exc) -> None:
        self._owner._transports.discard(self._transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            lines = self._buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            if len(self._buffer) < head_end + 4 + length:
                return
            body = self._buffer[head_end + 4 : head_end + 4 + length]
            self._buffer = self._buffer[head_end + 4 + length :]
            method, path, _ = ([*lines[0].split(" "), "", ""])[:3]
            self._owner._record(Received(method, path, headers, body, time.time()))
            self._transport.write(_OK)


class FastReceiver(RequestLog):
    """Runs its own event loop thread; same reading API as tests.receivers.RecordingReceiver."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._server = None
        self._thread: threading.Thread | None = None
        self._transports: set = set()  # open connections, closed on stop (no ResourceWarning)

    def start(self) -> "FastReceiver":
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        self._server = self._loop.run_until_complete(self._loop.create_server(lambda: _Protocol(self), "127.0.0.1", 0))
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def base_url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        """Close the server and its connections, then stop and close the loop."""
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop.close()

    async def _close(self) -> None:
        """On the loop: stop listening and close every open connection."""
        self._server.close()
        for transport in list(self._transports):
            transport.close()
        await asyncio.sleep(0)  # let the transports' connection_lost run, which closes their sockets

    def _record(self, request: Received) -> None:
        """Store one request (called on the loop thread)."""
        with self._cond:
            self.requests.append(request)
            if len(self.requests) % 50 == 0:
                self._cond.notify_all()
