"""StreamStandIn: start/stop, auth, dispatch, knobs and the test-only read API."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import jwt

from tests.stream_standin import rules
from tests.stream_standin.knobs import Fault, Faults, RateLimiter
from tests.stream_standin.server import _Server
from tests.stream_standin.state import ChatState
from tests.stream_standin.webhooks import WebhookSender

DEFAULT_KEY = "standin-api-key"
DEFAULT_SECRET = "standin-api-secret-0123456789abcdef"  # >= 32 bytes: PyJWT warns below
TOO_MANY = "Too many requests, check response headers for more information."


class StreamStandIn:
    """A local Stream Chat app the real SDK can talk to (base_url=standin.url)."""

    def __init__(
        self,
        api_key: str = DEFAULT_KEY,
        api_secret: str = DEFAULT_SECRET,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        webhook_url: str | None = None,
    ) -> None:
        self.api_key, self.api_secret, self.latency = api_key, api_secret, latency
        self.clock = clock  # epoch seconds for rate-limit windows and reset headers; tests may pass a fake
        self._address = (host, port)
        self.state, self.limits, self.faults = ChatState(), RateLimiter(clock), Faults()
        # message.new goes to this URL for every new message, signed like Stream's (set it any time).
        self.webhooks = WebhookSender(api_key, api_secret, webhook_url)
        self._calls: Counter = Counter()
        self._calls_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        """Serve in a background thread (port 0 = any free port); returns the base URL."""
        self._server = _Server(self._address, self)
        self._address = self._server.server_address[:2]  # a restart keeps the same port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop listening and cut open connections; the state is kept for assertions."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.close_connections()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self._address[1]}"

    def __enter__(self) -> StreamStandIn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- knobs -----------------------------------------------------------------------------
    def rate_limit(self, limit: int | None, window: float = 60.0, endpoint: str = "send_message") -> None:
        """Allow `limit` calls per `window` s to endpoint, then 429 code 9 (None: no limit)."""
        self.limits.set_limit(endpoint, limit, window)

    def fail(
        self,
        status: int = 500,
        times: int | None = 1,
        endpoint: str | None = None,
        message_id: str | None = None,
        code: int | None = None,
        reset_in: float = 60.0,
    ) -> Fault:
        """Answer the next `times` matching calls with `status` (None times: until cleared)."""
        code = (
            code
            if code is not None
            else {429: rules.RATE_LIMIT, 408: rules.INPUT}.get(status, rules.INTERNAL if status >= 500 else rules.INPUT)
        )
        message = TOO_MANY if status == 429 else f"injected failure (HTTP {status})"
        return self.faults.add(
            Fault(
                status=status,
                code=code,
                message=message,
                endpoint=endpoint,
                message_id=message_id,
                times=times,
                reset_in=reset_in,
            )
        )

    def drop(self, times: int | None = 1, endpoint: str | None = None, message_id: str | None = None) -> Fault:
        """Close the connection without answering the next `times` matching calls."""
        return self.faults.add(Fault(drop=True, endpoint=endpoint, message_id=message_id, times=times))

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget every user, channel, message, limit, fault and call count."""
        self.state, self.limits, self.faults = ChatState(), RateLimiter(self.clock), Faults()
        with self._calls_lock:
            self._calls.clear()

    # -- test-only read API ----------------------------------------------------------------
    def users(self) -> dict[str, dict]:
        return self.state.snapshot()[0]

    def channels(self) -> list[dict]:
        """Every channel with its member ids and message ids in send order."""
        return list(self.state.snapshot()[1].values())

    def channel(self, channel_id: str, channel_type: str = "messaging") -> dict | None:
        return self.state.snapshot()[1].get(f"{channel_type}:{channel_id}")

    def messages(self, channel_id: str | None = None) -> list[dict]:
        """Stored messages in send order, optionally of one channel."""
        _, channels, messages = self.state.snapshot()
        cids = [c for c in channels if channel_id is None or channels[c]["id"] == channel_id]
        return [messages[m] for cid in cids for m in channels[cid]["message_ids"]]

    def calls(self, endpoint: str | None = None) -> int:
        """How many calls reached an endpoint (all endpoints when None), whatever the answer."""
        with self._calls_lock:
            return sum(self._calls.values()) if endpoint is None else self._calls[endpoint]

    # -- request handling (called from the server's threads) --------------------------------
    def authorize(self, query: dict, headers) -> None:
        """Server-side auth: api_key param, Stream-Auth-Type jwt, HS256 token with the secret."""
        if query.get("api_key", [""])[0] != self.api_key:
            raise rules.StreamError(401, rules.ACCESS_KEY, "api_key not valid")
        if (headers.get("Stream-Auth-Type") or "").lower() != "jwt":
            raise rules.StreamError(401, rules.AUTH, "Stream-Auth-Type header must be jwt")
        try:
            claims = jwt.decode(headers.get("Authorization") or "", self.api_secret, algorithms=["HS256"])
        except jwt.InvalidSignatureError:
            raise rules.StreamError(401, rules.SIGNATURE, "JWT signature is invalid") from None
        except jwt.PyJWTError:
            raise rules.StreamError(401, rules.AUTH, "JWT token is not valid") from None
        if claims.get("server") is not True:
            raise rules.StreamError(403, rules.NOT_ALLOWED, "a server-side token is required")

    def handle(self, endpoint: str, args: tuple, body: dict, query: dict):
        """(status, payload, headers) for one authorised call; payload None = drop."""
        with self._calls_lock:
            self._calls[endpoint] += 1
        message_id = (body.get("message") or {}).get("id") if endpoint == "send_message" else None
        fault = self.faults.take(endpoint, message_id)
        if fault is not None:
            return self._fault_answer(fault)
        allowed, headers = self.limits.take(endpoint)
        if not allowed:
            return 429, rules.StreamError(429, rules.RATE_LIMIT, TOO_MANY).body(), headers
        try:
            return 201 if endpoint == "send_message" else 200, self._dispatch(endpoint, args, body, query), headers
        except rules.StreamError as exc:
            exc.headers = headers
            raise

    def _dispatch(self, endpoint: str, args: tuple, body: dict, query: dict) -> dict:
        if endpoint == "get_app":  # the app's settings: what a health check reads
            return {"app": {"name": "stand-in"}}
        if endpoint == "upsert_users":
            return self.state.upsert_users(body.get("users"))
        if endpoint == "query_channel":
            return self.state.get_or_create_channel(*args, body.get("data") or {})
        if endpoint == "send_message":
            answer = self.state.send_message(*args, body.get("message") or {})
            self.webhooks.message_new(*args, answer["message"])
            return answer
        ids = [i for i in query.get("ids", [""])[0].split(",") if i]
        return self.state.get_messages(*args, ids)

    def _fault_answer(self, fault: Fault):
        if fault.drop:
            return 0, None, {}
        headers = {}
        if fault.status == 429:
            headers = {
                "x-ratelimit-limit": "1000",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": str(int(self.clock() + fault.reset_in)),
            }
        return fault.status, rules.StreamError(fault.status, fault.code, fault.message).body(), headers
