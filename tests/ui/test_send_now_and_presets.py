"""Stories about sending right away and the one-click common rules on the Message Scheduler page."""

from datetime import time

from tests.ui.conftest import account
from tests.ui.test_message_scheduler import fill


def newest(services):
    """Casey's most recent message."""
    rows, _ = services.schedules.list(account(services, "coach@example.com").as_actor(), limit=1)
    return services.store.messages.get_unscoped(rows[0]["id"])


def test_send_now_goes_out_at_once(as_user, seeded):
    """Casey picks "Send now": no date or time to fill, the button says Send now, the preview says now, and the
    message is stored to send this instant and handed to QStash."""
    at = fill(as_user(), body="Class is cancelled today, {first_name}.", title="Cancelled", kind="now")
    assert not [d for d in at.date_input if d.key == "sched_date"]
    assert not [r for r in at.radio if r.key == "sched_zone_mode"]
    assert any(m.value.startswith("**Right now, once") for m in at.markdown)
    [button] = [b for b in at.button if b.key == "sched_submit"]
    assert button.label == "Send now"
    before = seeded.clock()
    button.click().run()
    assert at.success[0].value == "Sending “Cancelled” now."
    message = newest(seeded)
    assert (message.title, message.kind, message.status) == ("Cancelled", "once", "scheduled")
    assert abs((message.send_at - before).total_seconds()) < 30
    assert message.qstash_id


def test_presets_fill_in_common_rules(as_user, seeded):
    """Casey clicks "Every weekday at 09:00": Repeat becomes weekly, Monday to Friday at 09:00; "First of the
    month" makes a custom rule; "Every Monday" a weekly Monday rule. She saves the weekday one."""
    at = fill(as_user(), body="Morning, {first_name}!", title="Weekday mornings")
    at.button(key="sched_preset_monthly").click().run()
    assert (at.radio(key="sched_kind").value, at.text_input(key="sched_cron").value) == ("cron", "0 9 1 * *")
    at.button(key="sched_preset_monday").click().run()
    assert at.multiselect(key="sched_weekdays").value == [0]
    at.button(key="sched_preset_weekdays").click().run()
    assert at.radio(key="sched_kind").value == "weekly"
    assert at.multiselect(key="sched_weekdays").value == [0, 1, 2, 3, 4]
    assert at.time_input(key="sched_time").value == time(9)
    at.button(key="sched_submit").click().run()
    assert "Scheduled “Weekday mornings”" in at.success[0].value
    assert newest(seeded).cron == "0 9 * * 1,2,3,4,5"
