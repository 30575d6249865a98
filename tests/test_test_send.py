"""'Send a test to me' on SQLite and PostgreSQL: the personalised text reaches the coach's own chat, is recorded
and audited as a test, counts nowhere as a delivery, and a burst of clicks sends one."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from services.chat.channel_ids import dm_channel_id
from services.chat.local_inbox import LocalInboxGateway
from services.chat.stream_gateway import StreamChatGateway
from services.compose import ScheduleRequest
from services.errors import NotFound, UserError
from services.test_send import COOLDOWN, TestSendService
from tests import factories


@pytest.fixture
def casey(store):
    coach = factories.coach(store)
    factories.clients(store, coach, [("Ann Archer", "UTC", ["vip"]), ("Ben Brook", "UTC", [])])
    return coach


def request(body="Hi {first_name}, {coach_name} here", **extra) -> ScheduleRequest:
    return ScheduleRequest(body=body, title="Check-in", **extra)


def test_the_test_reaches_the_coachs_own_chat_and_counts_nowhere(store, clock, casey):
    """Casey sends a test as Ann would read it: her own inbox channel gets "Hi Ann, Casey Coach here"; the test is
    recorded and audited; no delivery, run, count or client's inbox message exists."""
    service = TestSendService(store, LocalInboxGateway(store.inbox), clock)
    ann = service.samples(casey, request(target="tag", target_tag="vip"))[0]
    assert ann.name == "Ann Archer"
    chat_id = service.send(casey, request(), ann.id)
    [row] = store.inbox.deliver_many([]) or _inbox_rows(store)
    assert (row["id"], row["text"]) == (chat_id, "Hi Ann, Casey Coach here")
    assert row["channel_id"] == dm_channel_id(casey.chat_user_id, casey.chat_user_id)
    assert row["client_chat_id"] == casey.chat_user_id
    [test] = service.recent(casey)
    assert (test["status"], test["client"], test["title"], test["chat_message_id"]) == (
        "sent",
        ann.name,
        "Check-in",
        chat_id,
    )
    [event] = [e for e in store.audit.list(casey.as_actor()) if e["action"] == "test_send"]
    assert event["new_values"] == {"title": "Check-in", "client_id": ann.id, "test_send_id": test["id"]}
    actor = casey.as_actor()
    assert store.log.status_counts(actor) == {}
    assert store.log.per_day(actor, "UTC") == []
    assert store.log.runs(actor) == []
    assert store.inbox.count(actor) == 0  # the Inbox lists clients' conversations: a test is none of them


def _inbox_rows(store) -> list[dict]:
    from sqlalchemy import select

    from services.db.schema import inbox_messages

    with store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(inbox_messages)).mappings()]


def test_a_second_click_waits_for_the_cooldown(store, clock, casey):
    """A second test straight after is refused with the wait; after the cooldown it goes."""
    service = TestSendService(store, LocalInboxGateway(store.inbox), clock)
    ann = service.samples(casey, request())[0]
    service.send(casey, request(), ann.id)
    clock.advance(seconds=5)
    with pytest.raises(UserError, match=r"A test went 5 s ago: wait 16 s"):
        service.send(casey, request(), ann.id)
    clock.advance(seconds=COOLDOWN.total_seconds())
    service.send(casey, request(), ann.id)
    assert [t["status"] for t in service.recent(casey)] == ["sent", "sent"]
    assert len(_inbox_rows(store)) == 2


def test_many_clicks_at_once_send_one_test(store, clock, casey):
    """Eight simultaneous clicks (threads on one barrier): exactly one test is sent, the rest are told to wait."""
    service = TestSendService(store, LocalInboxGateway(store.inbox), clock)
    ann = service.samples(casey, request())[0]
    barrier = threading.Barrier(8)

    def click(_):
        barrier.wait()
        try:
            return service.send(casey, request(), ann.id)
        except UserError as exc:
            return exc.message

    answers = list(ThreadPoolExecutor(8).map(click, range(8)))
    assert sum(a.startswith("test-") for a in answers) == 1, answers
    assert len(_inbox_rows(store)) == 1
    assert len(service.recent(casey)) == 1


def test_bad_text_foreign_client_and_support_are_refused(store, clock, casey):
    """Nothing is sent or recorded for a broken template, another coach's client, or a support account."""
    service = TestSendService(store, LocalInboxGateway(store.inbox), clock)
    morgan = factories.coach(store, email="morgan@example.com", name="Morgan")
    [mo] = factories.clients(store, morgan, [("Mo", "UTC", [])])
    ann = service.samples(casey, request())[0]
    with pytest.raises(UserError, match="Unknown field"):
        service.send(casey, request("Hi {nickname}"), ann.id)
    with pytest.raises(UserError, match="Write the message text first"):
        service.send(casey, request("   "), ann.id)
    with pytest.raises(NotFound):
        service.send(casey, request(), mo.id)
    sky = factories.support(store)
    with pytest.raises(UserError, match="Only coaches"):
        service.send(sky, request(), ann.id)
    assert service.recent(casey) == []
    assert _inbox_rows(store) == []


def test_through_stream_the_coach_is_alone_in_the_channel(store, clock, casey, standin):
    """With Stream (the stand-in, through the real SDK), the test lands in a channel whose only member is the
    coach; a refused send is recorded as a failed test with Stream's reason."""
    gateway = StreamChatGateway(standin.api_key, standin.api_secret, base_url=standin.url)
    service = TestSendService(store, gateway, clock)
    ann = service.samples(casey, request())[0]
    chat_id = service.send(casey, request(), ann.id)
    [channel] = standin.channels()
    assert channel["members"] == [casey.chat_user_id]
    [stored] = standin.messages(channel["id"])
    assert (stored["id"], stored["text"]) == (chat_id, "Hi Ann, Casey Coach here")
    gateway.close()
