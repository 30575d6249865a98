"""The delivery sender: a client per worker thread, and a kept-alive connection the peer dropped tried once more."""

import socket
import threading

import pytest

from local_qstash.sender import Sender

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class ScriptedPeer:
    """A raw HTTP/1.1 peer: per connection, how many requests it answers before it drops the next one unanswered."""

    def __init__(self, answers_per_connection: list[int]) -> None:
        self._script = list(answers_per_connection)
        self.requests_per_connection: list[int] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/hook"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        """Take connections one after another, each following the next entry of the script."""
        while self._script:
            answers = self._script.pop(0)
            conn, _ = self._sock.accept()
            seen = 0
            with conn, conn.makefile("rb") as reader:
                while True:
                    length = self._read_head(reader)
                    if length is None:
                        break
                    reader.read(length)
                    seen += 1
                    if seen > answers:
                        break  # read the request, then close without an answer
                    conn.sendall(_OK)
            self.requests_per_connection.append(seen)

    @staticmethod
    def _read_head(reader) -> int | None:
        """Read one request head; its Content-Length, or None when the client closed."""
        length = 0
        line = reader.readline()
        if not line:
            return None
        while line not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
            line = reader.readline()
        return length

    def close(self) -> None:
        """Stop listening."""
        self._sock.close()
        self._thread.join(5)


@pytest.fixture
def sender():
    """A sender, closed at teardown."""
    made = Sender()
    yield made
    made.close()


def send(sender: Sender, url: str):
    """One small POST delivery."""
    return sender.send(url, "POST", {"Content-Type": "application/json"}, b"{}", 2.0)


def test_dropped_keep_alive_connection_is_tried_once_more_on_a_fresh_one(sender):
    """The peer closes a kept-alive connection as the next request arrives: that request goes again, and lands."""
    peer = ScriptedPeer([1, 1])
    try:
        assert send(sender, peer.url).status == 200
        second = send(sender, peer.url)
        assert (second.status, second.error) == (200, None)
    finally:
        sender.close()
        peer.close()
    assert peer.requests_per_connection == [2, 1]


def test_a_fresh_connection_dropped_without_an_answer_is_an_error_not_a_second_send(sender):
    """No retry when the connection was new: the destination may have acted on it, and QStash's retry decides."""
    peer = ScriptedPeer([0])
    try:
        outcome = send(sender, peer.url)
    finally:
        sender.close()
        peer.close()
    assert outcome.status is None
    assert outcome.error.startswith("connection error")
    assert peer.requests_per_connection == [1]


def test_each_thread_sends_through_its_own_client_and_close_closes_them_all(sender, receiver):
    """Two threads, two clients, each reused for its thread's next delivery; close() leaves none open."""
    url = receiver.url("/hook")
    used: dict[str, list] = {}
    start = threading.Barrier(2)

    def work(name: str) -> None:
        start.wait()
        for _ in range(2):
            assert send(sender, url).status == 200
            used.setdefault(name, []).append(sender._client)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert used["a"][0] is used["a"][1]
    assert used["b"][0] is used["b"][1]
    assert used["a"][0] is not used["b"][0]
    sender.close()
    assert used["a"][0].is_closed
    assert used["b"][0].is_closed
