"""The webhook as gunicorn's asyncio worker serves it: each body is read whole on the event loop first.

Only then does the Flask app run, on a worker thread (services.webhook.wsgi_on_threads). A slow client —
headers, then a byte every few seconds — costs an idle coroutine, never a thread, so hundreds of them cannot
starve `/healthz` or QStash's deliveries the way they starved gunicorn's gthread worker, whose threads each waited
on one such body.
"""

from __future__ import annotations

import asyncio
import json

from services.failure_callback import CALLBACK_MAX_BYTES
from services.qstash.port import FAILURE_CALLBACK_PATH
from services.webhook.wsgi_on_threads import WsgiOnThreads

BODY_SECONDS = 30.0  # a body that has not fully arrived by then is refused (408) and its connection dropped


class _TooLarge(Exception):
    """The body is over the limit."""


def create_asgi_app(services=None):
    """The ASGI app gunicorn serves (`-k asgi 'services.webhook.asgi:create_asgi_app()'`)."""
    from services.webhook.app import create_app

    if services is None:  # gunicorn starting a worker: this process's logs are set up here, once
        from services.bootstrap import build_services
        from services.config import load_settings
        from services.observability.startup import start_logging

        settings = load_settings()
        start_logging(settings)
        services = build_services(settings)
    flask_app = create_app(services)
    settings = flask_app.extensions["scheduler_services"].settings
    threads = WsgiOnThreads(flask_app, workers=settings.webhook_threads)
    # QStash's failure callback carries the failed firing's body and its last answer: it may be larger.
    return buffered_body(threads, settings.max_webhook_body_bytes, larger={FAILURE_CALLBACK_PATH: CALLBACK_MAX_BYTES})


def buffered_body(app, limit: int, seconds: float = BODY_SECONDS, larger: dict[str, int] | None = None):
    """Wrap an ASGI app so it is called only once the whole body (at most `limit` bytes, or the path's
    own limit in `larger`) is in memory."""

    async def buffered(scope, receive, send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)  # lifespan: the wrapped app answers it
            return
        try:
            async with asyncio.timeout(seconds):
                body = await _read_body(scope, receive, (larger or {}).get(scope.get("path"), limit))
        except TimeoutError:
            await _json_error(send, 408, "request body too slow")
            return
        except _TooLarge:
            await _json_error(send, 413, "body too large")
            return
        if body is None:
            return  # the client went away
        await app(_with_length(scope, len(body)), _replaying(body, receive), send)

    return buffered


async def _read_body(scope, receive, limit: int) -> bytes | None:
    """The whole request body, or None when the client disconnected first."""
    for name, value in scope.get("headers", []):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _TooLarge
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _with_length(scope, length: int):
    """The scope as for a body of known length: a chunked one is whole now, and WSGI reads by Content-Length."""
    framing = (b"content-length", b"transfer-encoding")
    headers = [(name, value) for name, value in scope.get("headers", []) if name not in framing]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


def _replaying(body: bytes, receive):
    """A receive() that hands over the buffered body once, then waits for the disconnect as before."""
    given = False

    async def replay():
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _json_error(send, status: int, error: str) -> None:
    """A small JSON error, closing the connection (the rest of the body is never read)."""
    payload = json.dumps({"error": error}, separators=(",", ":")).encode() + b"\n"  # as Flask's jsonify
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": [*headers, (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
