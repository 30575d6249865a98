"""Stories about copying a schedule into the compose form, and deleting one that is over."""

import pytest

from services.errors import UserError
from tests.ui.conftest import account
from tests.ui.tables import select_row, table
from tests.ui.test_schedules import message_id, open_page


def open_message(at, mid):
    return select_row(at, "list_table_", "Message id", mid)


def tick_and_press(at, label):
    """Tick "I am sure", then press the button."""
    [sure] = [c for c in at.checkbox if c.label == "I am sure"]
    sure.check().run()
    [button] = [b for b in at.button if b.label == label]
    return button.click().run()


def test_duplicate_opens_the_compose_form_filled_in(as_user, seeded):
    """Casey duplicates her weekly nutrition tip: the Message Scheduler opens with its text, tag, weekdays and time
    filled in and the title marked as a copy; she schedules it and now has two such messages."""
    mid = message_id(seeded, "Weekly nutrition tip")
    at = open_message(open_page(as_user), mid)
    at.button(key="list_duplicate").click().run()
    assert at.title[0].value == "Message Scheduler"
    assert "A copy of “Weekly nutrition tip”" in at.info[0].value
    assert at.text_input(key="sched_title").value == "Weekly nutrition tip (copy)"
    assert at.text_area(key="sched_body").value == "Hi {first_name}, this week's tip: more vegetables."
    assert at.radio(key="sched_kind").value == "weekly"
    assert at.selectbox(key="sched_tag").value == "nutrition"
    assert at.multiselect(key="sched_weekdays").value == [0]
    # AppTest reruns the page it was last pointed at; a browser follows st.switch_page by itself.
    at.switch_page("pages/message_scheduler.py")
    at.button(key="sched_submit").click().run()
    assert "Scheduled “Weekly nutrition tip (copy)”" in at.success[0].value
    rows, _ = seeded.schedules.list(account(seeded, "coach@example.com").as_actor(), search="nutrition")
    assert sorted(r["title"] for r in rows) == ["Weekly nutrition tip", "Weekly nutrition tip (copy)"]


def test_a_finished_message_can_be_deleted_and_its_history_stays(as_user, seeded):
    """Casey cancels her daily check-in, then deletes it: it leaves her list, the deletion is in the audit trail
    next to the cancellation, and its delivery history is still there for the Delivery Log."""
    casey = account(seeded, "coach@example.com")
    mid = message_id(seeded, "Daily check-in")
    seeded.store.deliveries.start_run(mid, casey.id, None, 0, "2026-01-01T08:00", "America/New_York")
    at = open_message(open_page(as_user), mid)
    assert not [b for b in at.button if b.label == "Delete"]  # only once it is over
    at = tick_and_press(at, "Cancel message")
    at = tick_and_press(at, "Delete")
    assert at.success[0].value == "Deleted (its deliveries stay in the Delivery Log): “Daily check-in”."
    assert "Daily check-in" not in set(table(at, "list_table_").value["Title"])
    stored = seeded.store.messages.get_unscoped(mid)
    assert stored.deleted_at is not None
    assert seeded.store.deliveries.zones_fired(mid) == {"America/New_York"}
    trail = seeded.store.audit.list(casey.as_actor(), message_id=mid)
    assert [e["action"] for e in trail[:2]] == ["delete", "cancel"]


def test_a_scheduled_message_cannot_be_deleted(seeded):
    """Deleting a message that may still send is refused: it has to be cancelled first."""
    casey = account(seeded, "coach@example.com").as_actor()
    mid = message_id(seeded, "Daily check-in")
    with pytest.raises(UserError, match="Cancel it first"):
        seeded.schedules.delete(casey, mid)
    assert seeded.store.messages.get_unscoped(mid).deleted_at is None
