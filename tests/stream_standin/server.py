"""The stand-in's HTTP side: a threaded keep-alive server routing to StreamStandIn."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from tests.stream_standin import rules

if TYPE_CHECKING:
    from tests.stream_standin.standin import StreamStandIn

ROUTES = [  # (method, pattern, endpoint name)
    ("GET", re.compile(r"/app"), "get_app"),
    ("POST", re.compile(r"/users"), "upsert_users"),
    ("POST", re.compile(r"/channels/([^/]+)/([^/]+)/query"), "query_channel"),
    ("POST", re.compile(r"/channels/([^/]+)/([^/]+)/message"), "send_message"),
    ("GET", re.compile(r"/channels/([^/]+)/([^/]+)/messages"), "get_messages"),
]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests.Session expects
    disable_nagle_algorithm = True  # header and body go out in two writes: no 40 ms stalls

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests and benchmarks read the state, not the access log."""

    def _serve(self, method: str) -> None:
        standin: StreamStandIn = self.server.standin  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if standin.latency:
            time.sleep(standin.latency)
        url = urlsplit(self.path)
        try:
            endpoint, args = _route(method, url.path)
            standin.authorize(parse_qs(url.query), self.headers)
            body = json.loads(raw or b"{}")
            status, payload, headers = standin.handle(endpoint, args, body, parse_qs(url.query))
        except rules.StreamError as exc:
            status, payload, headers = exc.status, exc.body(), getattr(exc, "headers", {})
        except ValueError:
            status, payload, headers = 400, rules.failed("API", "invalid JSON body").body(), {}
        if payload is None:  # injected 'drop': close without an answer
            self.close_connection = True
            return
        self._answer(status, payload, headers)

    def _answer(self, status: int, payload: dict, headers: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json;charset=utf-8")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _route(method: str, path: str) -> tuple[str, tuple]:
    for route_method, pattern, endpoint in ROUTES:
        match = pattern.fullmatch(path)
        if match and route_method == method:
            return endpoint, match.groups()
    raise rules.StreamError(404, rules.NOT_FOUND, f"no route for {method} {path}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # fan-out benchmarks open many connections at once

    def __init__(self, address: tuple, standin: StreamStandIn) -> None:
        self.standin = standin
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut kept-alive connections too, so a stopped stand-in is really unreachable."""
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
