"""Issue 9 item 8: "Send a test to me" on the Message Scheduler, as a coach uses it."""

from __future__ import annotations

from tests.ui.conftest import account
from tests.ui.markdown import as_read


def compose(as_user, body: str):
    at = as_user().switch_page("pages/message_scheduler.py").run()
    at.text_area(key="sched_body").input(body).run()
    return at


def test_a_test_reaches_my_own_chat_and_counts_nowhere(as_user, seeded):
    """Casey writes "Hi {first_name}, quick test", picks a VIP client to personalise as and presses Send a test to
    me: the page confirms; her own chat (on the Inbox page) has the text with that client's first name; nothing
    is scheduled and the Delivery Log still counts no delivery."""
    casey = account(seeded, "coach@example.com")
    at = compose(as_user, "Hi {first_name}, quick test")
    at.radio(key="sched_target").set_value("tag").run()
    at.selectbox(key="sched_tag").set_value("vip").run()
    vips = [c for c in seeded.store.clients.list(casey.as_actor()) if "vip" in c.tags and c.active]
    assert set(at.selectbox(key="sched_test_client").options) == {c.name for c in vips}
    sample = vips[-1]
    at.selectbox(key="sched_test_client").set_value(sample.id).run()
    at.button(key="sched_test").click().run()
    assert not at.error, [e.value for e in at.error]
    assert as_read(at.success[0].value).startswith(f"Test sent to your own chat, as {sample.name} would read it.")
    assert any(f"as {sample.name} · sent" in as_read(c.value) for c in at.caption)
    [own] = seeded.inbox.own_chat(casey)
    assert own["text"] == f"Hi {sample.first_name}, quick test"
    assert seeded.schedules.list(casey.as_actor(), search="quick test")[1] == 0
    log = at.switch_page("pages/delivery_log.py").run()
    assert {m.label: m.value for m in log.metric}["Total"] == "0"
    inbox = at.switch_page("pages/inbox.py").run()
    assert any(t.value == f"Hi {sample.first_name}, quick test" for t in inbox.text)


def test_a_second_click_is_told_to_wait(as_user, seeded):
    """Casey presses Send a test to me twice in a row: the second press says when she can send again, and her
    own chat has one test."""
    at = compose(as_user, "Hi {first_name}")
    at.button(key="sched_test").click().run()
    at.button(key="sched_test").click().run()
    [error] = at.error
    assert "wait" in error.value
    assert len(seeded.inbox.own_chat(account(seeded, "coach@example.com"))) == 1


def test_bad_text_is_refused_where_the_coach_is(as_user, seeded):
    """With no text, or an unknown field, the test is refused under the button, naming the Message field."""
    at = compose(as_user, "   ")
    at.button(key="sched_test").click().run()
    assert as_read(at.error[0].value) == "**Message:** Write the message text first."
    at.text_area(key="sched_body").input("Hi {nick}").run()
    at.button(key="sched_test").click().run()
    assert "Unknown field {nick}" in as_read(at.error[0].value)
    assert seeded.inbox.own_chat(account(seeded, "coach@example.com")) == []
