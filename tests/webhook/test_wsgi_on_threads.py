"""The webhook's ASGI-to-WSGI bridge: Flask sees what a2wsgi gave it, the answer goes out whole, contexts stay apart."""

import asyncio
import contextvars
import json

import pytest
from a2wsgi import WSGIMiddleware

from services.webhook.wsgi_on_threads import WsgiOnThreads

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/api/process-scheduled-messages/caf\u00e9",
    "root_path": "",
    "query_string": b"a=1&b=two",
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", b"11"),
        (b"upstash-signature", b"eyJ.sig"),
        (b"x-forwarded-for", b"10.0.0.1"),
        (b"x-forwarded-for", b"10.0.0.2"),
    ],
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 54321),
}
BODY = b'{"a": true}'
ENVIRON_KEYS = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "SERVER_PROTOCOL", "SERVER_NAME", "SERVER_PORT",
    "REMOTE_ADDR", "REMOTE_PORT", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_UPSTASH_SIGNATURE", "HTTP_X_FORWARDED_FOR",
    "wsgi.url_scheme", "wsgi.multithread", "wsgi.multiprocess",
)  # fmt: skip


def echo(environ, start_response):
    """Answers with what it was given: the CGI variables and the body it read."""
    seen = {key: environ.get(key) for key in ENVIRON_KEYS}
    seen["body"] = environ["wsgi.input"].read().decode()
    payload = json.dumps(seen).encode()
    start_response("201 Created", [("Content-Type", "application/json"), ("X-Two", "2")])
    return [payload[:10], payload[10:]]


def serve(app, scope=SCOPE, messages=None):
    """Run one ASGI call; the messages it sent."""
    incoming = list(messages if messages is not None else [{"type": "http.request", "body": BODY}])
    sent = []

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_the_app_sees_the_same_request_as_under_a2wsgi_and_the_answer_is_sent_whole():
    """Same scope through both bridges: same environ, body, status and headers; ours sends one body message."""
    ours = serve(WsgiOnThreads(echo, workers=2))
    theirs = serve(WSGIMiddleware(echo, workers=2))
    assert ours[0] == theirs[0] == {
        "type": "http.response.start", "status": 201,
        "headers": [(b"content-type", b"application/json"), (b"x-two", b"2")],
    }  # fmt: skip
    their_body = b"".join(m.get("body", b"") for m in theirs[1:])
    assert [m["type"] for m in ours] == ["http.response.start", "http.response.body"]
    assert ours[1]["body"] == their_body
    seen = json.loads(ours[1]["body"])
    assert seen["body"] == BODY.decode()
    assert seen["PATH_INFO"] == "/api/process-scheduled-messages/caf\u00e9".encode().decode("latin1")
    assert seen["HTTP_X_FORWARDED_FOR"] == "10.0.0.1,10.0.0.2"
    assert seen["REMOTE_ADDR"] == "127.0.0.1"


def test_a_body_in_several_messages_is_joined_and_write_and_close_are_honoured():
    """more_body pieces arrive as one body; WSGI's write() output comes first; the iterable's close() is called."""
    closed = []

    class Answer(list):
        def close(self):
            closed.append(True)

    def app(environ, start_response):
        write = start_response("200 OK", [])
        write(b"written;")
        return Answer([environ["wsgi.input"].read()])

    pieces = [{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.request", "body": b"cd"}]
    sent = serve(WsgiOnThreads(app, workers=1), messages=pieces)
    assert sent[1]["body"] == b"written;abcd"
    assert closed == [True]


def test_a_client_gone_before_its_body_runs_nothing():
    """A disconnect instead of the body: the app is never called and nothing is sent."""
    called = []

    def app(environ, start_response):
        called.append(True)
        start_response("200 OK", [])
        return [b""]

    assert serve(WsgiOnThreads(app, workers=1), messages=[{"type": "http.disconnect"}]) == []
    assert called == []


def test_an_error_in_the_app_reaches_the_server():
    """An exception escapes to the ASGI server (which answers 500), as under a2wsgi."""

    def app(environ, start_response):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        serve(WsgiOnThreads(app, workers=1))


def test_a_context_value_set_by_one_request_is_not_seen_by_the_next_on_the_same_thread():
    """Each request runs in a copy of the loop's context: log fields bound in one never reach another."""
    bound = contextvars.ContextVar("bound", default="unset")

    def app(environ, start_response):
        before = bound.get()
        bound.set(environ["QUERY_STRING"])
        start_response("200 OK", [])
        return [before.encode()]

    bridge = WsgiOnThreads(app, workers=1)  # one thread: both requests run on it
    first = serve(bridge, {**SCOPE, "query_string": b"first"})
    second = serve(bridge, {**SCOPE, "query_string": b"second"})
    assert first[1]["body"] == second[1]["body"] == b"unset"


def test_lifespan_is_answered():
    """Startup and shutdown are acknowledged (nothing to start or stop)."""
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = serve(WsgiOnThreads(echo, workers=1), {"type": "lifespan"}, messages)
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
