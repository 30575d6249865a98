"""QStash's refusals reach the coach as clear messages, through the official SDK (hosted QStash is faked here)."""

import json
import threading

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from services.errors import SchedulerUnavailable
from services.qstash.port import Firing
from services.qstash.sdk_scheduler import QStashScheduler, make_qstash_client


class RefusingQStash:
    """Hosted QStash cannot be reached from here: this answers the way its docs say it refuses."""

    def __init__(self, status: int, headers: dict, body: dict):
        self.answer = (status, headers, body)
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()  # quick shutdown()

    def __call__(self, environ, start_response):
        status, headers, body = self.answer
        return Response(json.dumps(body), status=status, headers=headers, content_type="application/json")(
            environ, start_response
        )

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}"


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        (
            429,
            {"RateLimit-Limit": "500", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"},
            {"error": "limit"},
            "daily message limit is reached",
        ),
        (429, {"Burst-RateLimit-Limit": "100"}, {"error": "slow down"}, "rate limiting us"),
        (412, {}, {"error": "schedule limit reached"}, "schedule limit is reached"),
        (401, {}, {"error": "unauthorized"}, "refused our token. Check QSTASH_TOKEN."),
        (400, {}, {"error": "invalid cron"}, "QStash refused the request"),
        (500, {}, {"error": "boom"}, "QStash answered with an error (status: 500)"),
    ],
)
def test_refusals_become_clear_messages(status, headers, body, expected):
    """Daily limit, burst limit, schedule limit, bad token, bad request and server errors each say what to do."""
    fake = RefusingQStash(status, headers, body)
    scheduler = QStashScheduler(make_qstash_client("secret-token-value", fake.url), "http://hook/api", "api-key-value")
    try:
        with pytest.raises(SchedulerUnavailable) as error:
            scheduler.upsert_schedule(Firing("m", "c", "UTC"), "0 9 * * *")
    finally:
        fake.server.shutdown()
    assert expected in error.value.message
    assert "secret-token-value" not in error.value.message
    assert "api-key-value" not in error.value.message


def test_unreachable_qstash_is_reported_quickly():
    """Nothing listening: the coach is told QStash could not be reached."""
    scheduler = QStashScheduler(make_qstash_client("t", "http://127.0.0.1:1"), "http://hook/api", "k")
    with pytest.raises(SchedulerUnavailable, match="could not be reached"):
        scheduler.publish(Firing("m", "c", "UTC"), None, "d")
