"""Secrets never reach a log line: a full delivery with every logger at DEBUG (local QStash, httpx, werkzeug,
SQLAlchemy with LOG_SQL on), every captured line scanned for every configured secret, the bearer key, the
signing keys, a password and the message text; and a control showing the scan finds one that slips through."""

from __future__ import annotations

import io
import json
import logging
import re

import httpx
import pytest

from services.domain import Actor
from services.observability import logs
from services.observability.startup import secret_values
from tests import factories
from tests.harness import Product, wait_until

TEXT = "Quiet-Harbor-93517 meet at noon"  # the message text: never logged, neither as written nor rendered
PASSWORD = "correct-Horse-battery-7734"
METRICS_TOKEN = "metrics-token-5d1e9c0a77"
JWT = re.compile(r"eyJ[\w-]{4,}\.[\w-]{4,}\.")  # any JWT at all, QStash's signatures included


@pytest.fixture
def captured():
    """Every logger, at DEBUG, into JSON lines in memory, set up as a process start would set it up."""
    stream = io.StringIO()
    handler = logs.configure("json", "DEBUG", stream=stream, sql=True)
    yield stream
    logs.remove(handler)
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("sqlalchemy.engine", "sqlalchemy.pool"):
        logging.getLogger(name).setLevel(logging.WARNING)


@pytest.fixture
def running(tmp_path, sqlite_template, captured):
    """The product with a metrics token, its secrets handed to the redaction as at start-up."""
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    (tmp_path / "store.sqlite3").write_bytes(sqlite_template.read_bytes())
    product = Product(url, tmp_path / "data", metrics_token=METRICS_TOKEN)
    logs.redact_also(secret_values(product.settings))
    yield product
    product.stop()


def _forbidden(product) -> dict[str, str]:
    """Everything that must not appear in a log line, by what it is."""
    found = {name: value for name, value in product.secrets.items()}
    key = product.secrets["scheduler_api_key"]
    found |= {"bearer header": f"Bearer {key}", "password": PASSWORD, "metrics token": METRICS_TOKEN}
    return found | {"message text": TEXT, "message text, its distinctive part": TEXT.split(maxsplit=1)[0]}


def _leaks(lines: list[str], forbidden: dict[str, str]) -> list[str]:
    """Each (what, line) where a forbidden value or any JWT appears."""
    leaks = [f"{what}: {line}" for line in lines for what, secret in forbidden.items() if secret in line]
    return leaks + [f"a JWT: {line}" for line in lines if JWT.search(line)]


def _deliver(product) -> None:
    """Sign in, schedule a message due now through the services, let QStash deliver it, read the metrics."""
    account = product.services.accounts.create_first("coach@example.com", "Casey", "UTC", "coach", PASSWORD)
    assert product.services.auth.login("coach@example.com", PASSWORD).id == account.id
    store = product.store
    factories.clients(store, account, [("Ann Apple", "UTC", []), ("Ben Birch", "UTC", [])])
    message = store.messages.insert(
        account.as_actor(), factories.once_values(store, account, f"{TEXT} {{first_name}}", 0)
    )
    product.services.schedules.repair(account.as_actor(), message.id)
    inbox = Actor(account.id, "coach")
    wait_until(lambda: len(product.store.inbox.list(inbox)) == 2, timeout=30)
    assert all(TEXT in row["text"] for row in product.store.inbox.list(inbox))
    base = product.webhook_url.split("/api/", 1)[0]
    assert httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    bad = httpx.post(product.webhook_url, content=b"{}", headers={"Authorization": "Bearer wrong-key-123456789"})
    assert bad.status_code == 401


def test_a_full_delivery_at_debug_logs_no_secret_and_no_message_text(running, captured):
    """Hundreds of lines from every part of the path, and not one secret, key, password or message text."""
    _deliver(running)
    wait_until(lambda: "delivery delivered" in captured.getvalue(), timeout=10)  # the local QStash's own line
    lines = captured.getvalue().splitlines()
    events = [json.loads(line) for line in lines]
    loggers = {event["logger"].split(".")[0] for event in events}
    assert {"local_qstash", "httpx", "httpcore", "werkzeug", "sqlalchemy", "services"} <= loggers
    assert _leaks(lines, _forbidden(running)) == []


def test_every_webhook_line_of_a_delivery_carries_the_ids_that_tie_it_together(running, captured):
    """The fan-out's lines name the request, QStash's message, the message, its slot and the run."""
    _deliver(running)
    events = [json.loads(line) for line in captured.getvalue().splitlines()]
    answered = [e for e in events if e["event"].startswith("delivery answered")]
    assert answered, "no fan-out line"
    for event in answered:
        assert {"request_id", "qstash_message_id", "message_id", "slot", "run_id"} <= event.keys()
    published = next(e for e in events if e["event"] == "QStash: firing published")
    assert published["qstash_message_id"] == answered[0]["qstash_message_id"]  # the dashboard's line, the same id
    assert published["message_id"] == answered[0]["message_id"]
    action = next(e for e in events if e["event"] == "repair schedule: done")
    assert action["message_id"] == published["message_id"]
    assert action["actor_id"]
    local = next(e for e in events if e["event"] == "message published")  # the local QStash's API line
    assert local["qstash_message_id"] == published["qstash_message_id"]
    assert local["request_id"]


def test_the_scan_finds_a_secret_that_slips_through(running, captured):
    """Control: the message text logged by any library's logger is caught by the same scan."""
    _deliver(running)
    logging.getLogger("some.library").debug("sending %s", TEXT)
    leaks = _leaks(captured.getvalue().splitlines(), _forbidden(running))
    assert len(leaks) == 2  # the text, and its distinctive part
    assert all("some.library" in leak for leak in leaks)


def test_the_redaction_catches_a_configured_secret_logged_by_mistake(running, captured):
    """The safety net: a secret value or a bearer header written into a line comes out as [redacted]."""
    key = running.secrets["scheduler_api_key"]
    logging.getLogger("some.library").warning("calling with %s and Bearer %s", running.secrets["qstash_token"], key)
    logging.getLogger("some.library").info("request", extra={"authorization": "anything", "password": PASSWORD})
    assert _leaks(captured.getvalue().splitlines(), _forbidden(running)) == []
    assert captured.getvalue().count("[redacted]") == 4
