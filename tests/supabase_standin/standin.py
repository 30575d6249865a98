"""SupabaseAuthStandIn: start/stop on a free port, the project's keys, and the knobs tests turn."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable

from werkzeug.serving import make_server

from tests.supabase_standin.app import create_app
from tests.supabase_standin.state import AuthState

DEFAULT_ANON_KEY = "standin-anon-key"
JWT_SECRET = "standin-jwt-secret-0123456789abcdef"  # >= 32 bytes: PyJWT warns below


class RateLimiter:
    """GoTrue's per-address limit on /token (GOTRUE_RATE_LIMIT_TOKEN_REFRESH: 150 per 5 minutes)."""

    def __init__(self, clock: Callable[[], float], limit: int = 150, window: float = 300.0) -> None:
        self.clock, self.limit, self.window = clock, limit, window
        self._calls: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, address: str | None) -> bool:
        """Count one call; False once the address used up its window."""
        now = self.clock()
        with self._lock:
            calls = self._calls[address or "?"]
            while calls and calls[0] <= now - self.window:
                calls.popleft()
            if len(calls) >= self.limit:
                return False
            calls.append(now)
            return True


class SupabaseAuthStandIn:
    """A local Supabase project's Auth, reachable by the real SDK at `url` with `anon_key`."""

    def __init__(self, anon_key: str = DEFAULT_ANON_KEY, clock: Callable[[], float] = time.time) -> None:
        self.anon_key = anon_key
        self.clock = clock  # epoch seconds for token expiry, reuse interval, timebox and limits; tests may fake it
        self.token_limiter = RateLimiter(clock)
        self.oauth_errors = False  # True: answer like older GoTrue (400 {"error": "invalid_grant", ...})
        self.down = False  # True: the gateway answers 503, as when Auth itself is down
        self.calls: list[tuple[str, str, str | None]] = []  # (method, path, grant_type) as received
        self._port = 0
        self._server = None
        self._thread: threading.Thread | None = None
        self.state = AuthState(clock, JWT_SECRET, issuer="")

    @property
    def url(self) -> str:
        """The project URL to give create_client (Auth lives under /auth/v1)."""
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> str:
        """Serve in a background thread; a restart keeps the port."""
        self._server = make_server("127.0.0.1", self._port, create_app(self), threaded=True)
        self._port = self._server.server_port
        self.state.issuer = f"{self.url}/auth/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop listening: the SDK then meets a refused connection, as with an unreachable project."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def add_user(self, email: str, password: str, confirmed: bool = True) -> dict:
        """Create an Auth user; returns GoTrue's user object (with its id)."""
        return self.state.add_user(email, password, confirmed)

    def __enter__(self) -> SupabaseAuthStandIn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
