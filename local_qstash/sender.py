"""HTTP delivery: each worker thread its own httpx.Client with keep-alive connections."""

import ssl
import threading
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urlsplit

import httpx

MAX_KEPT_BODY = 64 * 1024
# httpcore reports this trace event only when it opens a new connection for the request.
_CONNECT_EVENT = "connection.connect_tcp.started"
# How a kept-alive connection that the peer closed just as it was reused fails.
_STALE = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)


class InvalidHeader(ValueError):
    """A header that cannot go on the wire (CR or LF would split the request)."""


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


def new_client(tls: ssl.SSLContext | None = None) -> httpx.Client:
    """A delivery client: keep-alive, no pool limit, and only the headers a delivery carries."""
    client = httpx.Client(
        verify=tls or ssl.create_default_context(),  # the system CA store, not certifi's
        trust_env=False,  # deliveries go straight to the destination, never through an env proxy
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),  # each worker its own
        auth=httpx.Auth(),  # credentials in a destination URL are not turned into Basic auth
        # Each delivery stands alone, as in QStash: a cookie a destination sets is never kept for the next one.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )
    # httpx adds Accept, Accept-Encoding, Connection and User-Agent by default; QStash sends none of them.
    client.headers.clear()
    return client


def request_headers(url: str, headers: dict[str, str], body: bytes) -> list[tuple[bytes, bytes]]:
    """Host, Content-Length (even when 0), then the delivery's headers, as raw latin-1 pairs."""
    pairs = [("Host", urlsplit(url).netloc.rpartition("@")[2]), ("Content-Length", str(len(body)))]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise InvalidHeader(f"invalid header {name!r}")
        # Whitespace around a value is not part of it (RFC 9110), and h11 refuses to send it.
        pairs.append((name, value.strip(" \t")))
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]


class Sender:
    """Sends deliveries, each worker thread through a client of its own; close() closes them all."""

    def __init__(self) -> None:
        # One shared client made every request of a burst queue on its pool's lock, where each request scans
        # every pooled connection with a poll(); a client per thread has one connection to each destination.
        # Loading the CA store costs ~20 ms of CPU, so the clients share one TLS context.
        self._tls = ssl.create_default_context()
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    @property
    def _client(self) -> httpx.Client:
        """This thread's client, made on its first delivery."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = new_client(self._tls)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every thread's client (after the workers have stopped)."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def send(self, url: str, method: str, headers: dict[str, str], body: bytes, timeout: float) -> Outcome:
        """Send one request; connection errors and timeouts become an Outcome with error."""
        try:
            raw_headers = request_headers(url, headers, body)
        except InvalidHeader as exc:
            return Outcome(error=str(exc))
        for attempt in (0, 1):
            opened: list[str] = []
            try:
                return self._exchange(url, method, raw_headers, body, timeout, opened)
            except httpx.TimeoutException:
                return Outcome(error=f"request timed out after {timeout:g}s")
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                if attempt == 0 and not opened and isinstance(exc, _STALE):
                    continue  # a kept-alive connection the peer had closed: once more on a fresh one
                return Outcome(error=f"connection error: {exc!r}")
        return Outcome(error="connection error")  # pragma: no cover - the loop always returns

    def _exchange(self, url, method, raw_headers, body, timeout, opened: list) -> Outcome:
        """One request/response; `opened` records whether a new connection was made for it."""

        def trace(event: str, _info: dict) -> None:
            if event == _CONNECT_EVENT:
                opened.append(event)

        with self._client.stream(
            method,
            url,
            headers=raw_headers,
            content=body,
            timeout=httpx.Timeout(timeout),
            extensions={"trace": trace},
        ) as response:
            # Raw bytes, as the destination sent them (no content decoding); read in full so
            # the connection can be reused.
            content = b"".join(response.iter_raw())
        answer = {name.decode("latin-1"): value.decode("latin-1") for name, value in response.headers.raw}
        return Outcome(status=response.status_code, headers=answer, body=content[:MAX_KEPT_BODY])
