"""Hardening item 20: the QStash health page after a cancel, and when the SDK cannot parse an answer."""

import time
from types import SimpleNamespace

import pytest

from services.errors import SchedulerUnavailable
from services.qstash.port import Firing
from services.qstash.sdk_scheduler import QStashScheduler
from tests.ui.conftest import account


def test_20_qstash_page_lists_events_after_a_cancel(as_user, seeded):
    """A cancelled firing is logged as CANCELED, which the SDK parses: the page shows it, no traceback."""
    coach = account(seeded, "coach@example.com")
    firing = Firing("cancel-story", coach.id, coach.timezone)
    message_id = seeded.scheduler.publish(firing, int(time.time()) + 3600, "cancel-story")
    seeded.scheduler.cancel_message(message_id)
    at = as_user("support@example.com").switch_page("pages/qstash.py").run()
    assert not at.exception
    assert not at.warning
    events = at.dataframe[1].value
    assert set(events[events["QStash message"] == message_id]["State"]) >= {"CANCEL_REQUESTED", "CANCELED"}


def test_20_qstash_page_warns_when_the_sdk_cannot_parse_an_event(as_user, seeded, qstash_server):
    """An event state this SDK does not know (a newer QStash, say) is a warning on that section only."""
    with qstash_server.db.tx() as conn:
        conn.execute(
            "INSERT INTO events (time_ms, message_id, state, url) VALUES (?, 'msg_new', 'SOMETHING_NEW', 'http://x/')",
            (int(time.time() * 1000),),
        )
    at = as_user("support@example.com").switch_page("pages/qstash.py").run()
    assert not at.exception
    (warning,) = at.warning
    assert "read QStash logs" in warning.value
    assert len(at.dataframe) == 1  # the schedules still show


def _raise(exc):
    """A stand-in SDK call that fails while parsing QStash's answer."""

    def call(*args, **kwargs):
        raise exc

    return call


@pytest.mark.parametrize("exc", [ValueError("'X' is not a valid LogState"), KeyError("messageId"), TypeError("x")])
@pytest.mark.parametrize("method", ["schedules", "logs", "dead_letters"])
def test_20_sdk_parse_failures_become_scheduler_unavailable(method, exc):
    """The adapter turns the SDK's parse errors into SchedulerUnavailable (a UserError the pages show)."""
    client = SimpleNamespace(
        schedule=SimpleNamespace(list=_raise(exc)),
        log=SimpleNamespace(list=_raise(exc)),
        dlq=SimpleNamespace(list=_raise(exc)),
    )
    scheduler = QStashScheduler(client, "http://127.0.0.1:9/webhook", "api-key")
    with pytest.raises(SchedulerUnavailable, match="could not understand"):
        getattr(scheduler, method)()
