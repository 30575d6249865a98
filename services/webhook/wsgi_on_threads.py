"""A WSGI app served to ASGI on worker threads, one hand-off there and one back per request.

a2wsgi's WSGIMiddleware streams: the worker thread reads the body through the event loop and sends the status,
each body chunk and the end through it again, each time waiting for the loop (four round trips per delivery).
Under a burst every round trip waited for the GIL among the worker's busy threads. Our bodies are already whole
when the app is called (services.webhook.asgi.buffered_body) and our answers are small JSON, so the request is
read on the loop, the app runs on a thread start to finish, and the loop sends what it returned. The environ is
a2wsgi's own `build_environ`, so Flask sees what it saw before.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
from concurrent.futures import ThreadPoolExecutor

from a2wsgi.wsgi import build_environ


class WsgiOnThreads:
    """ASGI app: `app` (WSGI) on a pool of `workers` threads, the answer buffered and sent whole."""

    def __init__(self, app, workers: int) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="WSGI")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1000})
            return
        body = await _whole_body(receive)
        if body is None:
            return  # the client went away before its body arrived
        environ = build_environ(scope, io.BytesIO(body))
        context = contextvars.copy_context()  # each request's log context starts from the loop's, as a2wsgi's did
        loop = asyncio.get_running_loop()
        status, headers, chunks = await loop.run_in_executor(self.executor, context.run, self._run, environ)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"".join(chunks)})

    def _run(self, environ: dict) -> tuple[int, list[tuple[bytes, bytes]], list[bytes]]:
        """Call the app on this thread: (status, headers, body chunks)."""
        started: list = []
        chunks: list[bytes] = []

        def start_response(status: str, headers, exc_info=None):
            if exc_info is not None and started:
                raise exc_info[1].with_traceback(exc_info[2])
            encoded = [
                (name.strip().lower().encode("latin1"), value.strip().encode("latin1")) for name, value in headers
            ]
            started[:] = [int(status.split(" ", 1)[0]), encoded]
            return chunks.append  # WSGI's write()

        iterable = self.app(environ, start_response)
        try:
            chunks.extend(iterable)
        finally:
            getattr(iterable, "close", lambda: None)()
        return started[0], started[1], chunks


async def _whole_body(receive) -> bytes | None:
    """The request body (already buffered: one or a few messages, no waiting), or None on a disconnect."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _lifespan(receive, send) -> None:
    """Answer the lifespan protocol: nothing to start or stop."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
