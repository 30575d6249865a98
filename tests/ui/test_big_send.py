"""Stories about confirming a big send before it is saved."""

from tests.ui.conftest import account
from tests.ui.test_message_scheduler import fill


def count(services):
    """How many messages Casey has."""
    return services.schedules.list(account(services, "coach@example.com").as_actor())[1]


def press(at, key):
    [button] = [b for b in at.button if b.key == key]
    return button.click().run()


def test_a_rule_more_than_once_a_day_is_confirmed_first(as_user, seeded):
    """Casey writes a rule that sends at 09:00 and 17:00 to all her clients and presses Schedule Message: nothing
    is saved yet; she is asked, with the number of clients and the rule in words, and only her Yes saves it."""
    at = fill(as_user(), body="Check in, {first_name}", title="Twice a day", kind="cron", cron="0 9,17 * * *")
    before = count(seeded)
    at = press(at, "sched_submit")
    assert count(seeded) == before
    [question] = [w.value for w in at.warning if "goes to" in w.value]
    assert question.startswith("This message goes to 12 clients: At 09:00 and 17:00 (America/New\\_York).")
    assert "It sends more than once a day." in question
    at = press(at, "sched_confirm_yes")
    assert "Scheduled “Twice a day”" in at.success[0].value
    assert count(seeded) == before + 1


def test_many_recipients_are_confirmed_and_not_yet_saves_nothing(as_user, seeded):
    """Above the configured number of recipients (here 5) Casey is asked first; "Not yet" saves nothing and
    closes the question; narrowing the audience to her 3 VIP clients saves without asking."""
    seeded.schedules.confirm_above = 5
    at = fill(as_user(), body="News for everyone", title="Big news")
    before = count(seeded)
    at = press(at, "sched_submit")
    assert any("This message goes to 12 clients: Once, on" in w.value for w in at.warning)
    at = press(at, "sched_confirm_no")
    assert not [b for b in at.button if b.key == "sched_confirm_yes"]
    assert count(seeded) == before
    at = fill(at, target="tag")
    at = fill(at, tag="vip")
    at = press(at, "sched_submit")
    assert "Scheduled “Big news”" in at.success[0].value
    assert count(seeded) == before + 1


def test_a_changed_form_is_asked_again(as_user, seeded):
    """Casey is asked about a twice-daily rule, then changes it to once a day before answering: the question goes
    away, and the daily rule saves without one."""
    at = fill(as_user(), body="Hi", title="Changed my mind", kind="cron", cron="0 9,17 * * *")
    at = press(at, "sched_submit")
    assert [b for b in at.button if b.key == "sched_confirm_yes"]
    at = fill(at, cron="0 9 * * *")
    assert not [b for b in at.button if b.key == "sched_confirm_yes"]
    at = press(at, "sched_submit")
    assert "Scheduled “Changed my mind”" in at.success[0].value
