"""Issue 9 item 1 (and hardening's "duplicates never reach a client"): a second submit of one compose form
never schedules a second message."""

import threading
from datetime import time

from services.compose import ScheduleRequest
from tests.ui.conftest import account
from tests.ui.test_message_scheduler import fill


def messages(services) -> int:
    """How many messages Casey has."""
    return services.store.messages.list(account(services, "coach@example.com").as_actor())[1]


def test_a_second_click_on_schedule_message_schedules_nothing_more(as_user, seeded):
    """Casey schedules a message, and the page resets the form; even a replay of the very same submission
    (same form instance) finds the first message instead of making a second."""
    at = as_user("coach@example.com")
    before = messages(seeded)
    fill(at, body="Hello {first_name}!", kind="daily")
    key = at.session_state["sched_submission"]
    at.button(key="sched_submit").click().run()
    assert at.success, [e.value for e in at.error]
    assert messages(seeded) == before + 1
    assert at.text_area(key="sched_body").value == ""  # the form was reset…
    assert at.session_state["sched_submission"] != key  # …with a new submission key
    casey = account(seeded, "coach@example.com")
    again = seeded.schedules.create(
        casey, ScheduleRequest(body="Hello {first_name}!", kind="daily", send_time=time(9), idempotency_key=key)
    )
    assert messages(seeded) == before + 1
    assert again.body == "Hello {first_name}!"


def test_two_simultaneous_submits_of_one_form_make_one_message(seeded):
    """Two requests with one submission key at the same moment (a double click): one message, one QStash
    schedule."""
    casey = account(seeded, "coach@example.com")
    before = messages(seeded)
    made, barrier = [], threading.Barrier(2)

    def submit():
        barrier.wait()
        request = ScheduleRequest(body="Once only", kind="daily", send_time=time(7), idempotency_key="form-1")
        made.append(seeded.schedules.create(casey, request))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert messages(seeded) == before + 1
    assert made[0].id == made[1].id
