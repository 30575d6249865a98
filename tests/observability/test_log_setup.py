"""The log set-up itself: readable text or JSON lines, ids carried into pool threads, a bad LOG_FORMAT refused."""

from __future__ import annotations

import io
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.config import load_settings
from services.observability import logs


@pytest.fixture
def capture():
    """configure(fmt) into a string; the handler is removed again afterwards."""
    made = []

    def start(log_format: str) -> io.StringIO:
        stream = io.StringIO()
        made.append(logs.configure(log_format, "INFO", stream=stream))
        return stream

    yield start
    for handler in made:
        logs.remove(handler)
    logging.getLogger().setLevel(logging.WARNING)


def test_text_lines_read_as_text_and_json_lines_parse(capture):
    """LOG_FORMAT=text: one readable line with the ids as key=value; json: one JSON object per line."""
    text = capture("text")
    with logs.context(message_id="m-1", request_id="r-1"):
        logging.getLogger("services.example").info("fan-out finished", extra={"sent": 3})
    line = text.getvalue().strip()
    assert "fan-out finished" in line
    assert "message_id=m-1" in line
    assert "sent=3" in line
    assert not line.startswith("{")
    as_json = capture("json")
    with logs.context(message_id="m-2"):
        logging.getLogger("services.example").info("fan-out finished", extra={"sent": 4})
    event = json.loads(as_json.getvalue().strip())
    assert event["message_id"] == "m-2"
    assert event["sent"] == 4
    assert event["level"] == "info"
    assert event["logger"] == "services.example"


def test_ids_reach_lines_from_pool_threads_and_leave_with_the_block(capture):
    """A fan-out's worker threads log with the ids of the request that started them; after it, none remain."""
    stream = capture("json")
    worker_log = logging.getLogger("services.worker")
    with logs.context(run_id="run-7"), ThreadPoolExecutor(2) as pool:
        list(pool.map(logs.carried(lambda n: worker_log.info("sent %d", n)), range(4)))
    worker_log.info("after")
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e.get("run_id") for e in events] == ["run-7"] * 4 + [None]


def test_an_unknown_log_format_is_refused_naming_the_setting(monkeypatch):
    """LOG_FORMAT=xml is a start-up error naming LOG_FORMAT; JSON in capitals is json."""
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="log_format"):
        load_settings()
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert load_settings().log_format == "json"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.configure("xml")


def test_the_default_handler_writes_to_whatever_stderr_is_now(monkeypatch):
    """A process's stderr may be replaced after start-up (a supervisor, a test runner): lines follow it."""
    handler = logs.configure("text", "INFO")
    try:
        first, second = io.StringIO(), io.StringIO()
        monkeypatch.setattr("sys.stderr", first)
        logging.getLogger("services.example").info("one")
        monkeypatch.setattr("sys.stderr", second)
        first.close()  # writing to the old one now would be an error
        logging.getLogger("services.example").info("two")
        assert "two" in second.getvalue()
    finally:
        logs.remove(handler)
        logging.getLogger().setLevel(logging.WARNING)
