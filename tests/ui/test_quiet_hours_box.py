"""Stories about quiet hours and the daily cap on the Message Scheduler page (Streamlit AppTest)."""

from datetime import time

from services.send_rules import SendRules
from tests.ui.conftest import account
from tests.ui.test_message_scheduler import fill


def _rules_box(at, quiet=None, cap=0):
    at.toggle(key="rules_quiet").set_value(quiet is not None).run()
    if quiet is not None:
        at.time_input(key="rules_quiet_start").set_value(quiet[0])
        at.time_input(key="rules_quiet_end").set_value(quiet[1])
    at.number_input(key="rules_daily_cap").set_value(cap)
    return at.button(key="rules_save").click().run()


def test_casey_sets_quiet_hours_and_a_daily_cap(as_user, seeded):
    """Casey turns on quiet hours 21:00–08:00 and a cap of 3 a day, and saves: they are stored for her account."""
    at = _rules_box(as_user(), quiet=(time(21), time(8)), cap=3)
    assert not at.exception
    assert at.success[-1].value == "Saved. They apply to every send from now on."
    casey = account(seeded, "coach@example.com")
    assert seeded.store.send_rules.get(casey.id) == SendRules(time(21), time(8), 3)


def test_quiet_hours_that_start_when_they_end_are_refused(as_user, seeded):
    """Casey picks 08:00 to 08:00: the box says why and nothing is stored."""
    at = _rules_box(as_user(), quiet=(time(8), time(8)), cap=2)
    assert at.error[-1].value == "Quiet hours start and end at the same time; pick two different times."
    assert seeded.store.send_rules.get(account(seeded, "coach@example.com").id) == SendRules()


def test_the_preview_names_quiet_hours_and_the_message_keeps_the_skip_choice(as_user, seeded):
    """With quiet hours almost all day, the preview says clients are in them; Casey picks 'Skip them' and
    schedules: the message remembers the choice."""
    casey = account(seeded, "coach@example.com")
    seeded.store.send_rules.put(casey.id, SendRules(time(0), time(23, 59)))
    at = fill(as_user(), body="Quiet test", title="Quiet test", quiet_action="skip")
    assert any("are in theirs at the first send; this message skips them." in c.value for c in at.caption)
    at.button(key="sched_submit").click().run()
    assert not at.error
    rows, _ = seeded.store.messages.list(casey.as_actor(), search="Quiet test")
    assert seeded.store.messages.get(casey.as_actor(), rows[0]["id"]).quiet_action == "skip"
