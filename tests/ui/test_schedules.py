"""Stories about the Schedules page: the list, one message's details, and the actions on it."""

from datetime import time

from services.compose import ScheduleRequest
from tests.ui.conftest import account
from tests.ui.tables import select_row, table, with_column


def message_id(services, title, email="coach@example.com"):
    """The id of a demo message by title."""
    rows, _ = services.store.messages.list(account(services, email).as_actor(), search=title)
    return rows[0]["id"]


def status_of(services, mid):
    return services.store.messages.get_unscoped(mid).status


def open_page(as_user, email="coach@example.com"):
    at = as_user(email)
    return at.switch_page("pages/schedules.py").run()


def open_message(at, mid):
    """Select the message's row in the Schedules table."""
    return select_row(at, "list_table_", "Message id", mid)


def test_coach_sees_only_her_own_schedules(as_user):
    """Casey opens Schedules: her three demo messages are listed with rule, status and QStash id, and none of
    Morgan's."""
    at = open_page(as_user)
    table = at.dataframe[0].value
    assert sorted(table["Title"]) == ["Daily check-in", "Weekly nutrition tip", "Welcome"]
    assert set(table["Status"]) == {"scheduled"}
    assert all(table["QStash id"])
    assert "At 08:00 (America/New_York)" in set(table["Rule"])
    assert "Coach" not in table.columns


def test_coach_b_cannot_open_coach_a_message(as_user, seeded):
    """Morgan's list never includes Casey's messages, so she cannot pick one to act on."""
    at = open_page(as_user, "morgan@example.com")
    caseys = message_id(seeded, "Daily check-in")
    assert caseys not in set(table(at, "list_table_").value["Message id"])
    assert all("Casey" not in str(v) for v in at.dataframe[0].value.to_numpy().ravel())
    assert len(at.dataframe[0].value) == 3


def test_support_sees_every_coach_and_can_filter(as_user, seeded):
    """Sky from support sees all six demo messages with coach names, then narrows to Morgan's."""
    at = open_page(as_user, "support@example.com")
    assert len(at.dataframe[0].value) == 6
    morgan = account(seeded, "morgan@example.com")
    at.selectbox(key="list_coach").set_value(morgan.id).run()
    assert set(at.dataframe[0].value["Coach"]) == {"Morgan Mentor"}


def test_filters_and_paging(as_user):
    """Casey filters by kind, then by a search word; the pager says how many rows match."""
    at = open_page(as_user)
    at.selectbox(key="list_kind").set_value("daily").run()
    assert list(at.dataframe[0].value["Title"]) == ["Daily check-in"]
    at.selectbox(key="list_kind").set_value(None).run()
    at.text_input(key="list_search").input("nutrition").run()
    assert list(at.dataframe[0].value["Title"]) == ["Weekly nutrition tip"]
    assert any("Showing 1–1 of 1" in c.value for c in at.caption)


def test_pause_resume_and_cancel_change_the_store(as_user, seeded):
    """Casey opens her daily check-in, pauses it, resumes it, then cancels it after confirming; each step is
    confirmed on the page and recorded in the store and the audit trail."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    at.button(key="list_pause").click().run()
    assert at.success[0].value == "Paused: “Daily check-in”."
    assert status_of(seeded, mid) == "paused"
    at.button(key="list_resume").click().run()
    assert status_of(seeded, mid) == "scheduled"
    assert at.button(key="list_cancel").disabled  # nothing happens without the confirmation
    [sure] = [c for c in at.checkbox if c.label == "I am sure"]
    sure.check().run()
    at.button(key="list_cancel").click().run()
    assert at.success[0].value == "Cancelled for good: “Daily check-in”."
    assert status_of(seeded, mid) == "cancelled"
    actions = list(with_column(at, "Action")["Action"])
    assert actions[:3] == ["Cancelled", "Resumed", "Paused"]


def test_edit_saves_and_a_concurrent_change_is_a_conflict(as_user, seeded):
    """Casey edits the welcome text and saves; when someone else changes the message while her edit form is
    open, saving says it was changed by someone else and keeps her out of their way."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    at.text_area(key="list_edit_body").input("Rise and shine, {first_name}!")
    at = _submit_edit(at)
    assert at.success[0].value == "Saved: “Daily check-in”."
    assert seeded.store.messages.get_unscoped(mid).body == "Rise and shine, {first_name}!"
    at = open_message(at, mid)
    coach = account(seeded, "coach@example.com")
    seeded.schedules.pause(coach.as_actor(), mid)  # someone else, in another tab
    at.text_area(key="list_edit_body").input("Second edit")
    at = _submit_edit(at)
    assert any("changed by someone else" in e.value for e in at.error)
    assert seeded.store.messages.get_unscoped(mid).body == "Rise and shine, {first_name}!"


def _submit_edit(at):
    """Press the edit form's submit button."""
    [button] = [b for b in at.button if b.label == "Save changes"]
    return button.click().run()


def test_drift_check_finds_and_repairs_a_missing_schedule(as_user, seeded):
    """A recurring message's schedule vanished from QStash: Check QStash lists it as missing, Repair puts it back."""
    mid = message_id(seeded, "Daily check-in")
    [schedule_id] = seeded.store.messages.qstash_links(mid).values()
    seeded.scheduler.delete_schedule(schedule_id)
    at = open_page(as_user)
    at.button(key="list_drift_check").click().run()
    assert any(schedule_id in m.value and "missing in QStash" in m.value for m in at.markdown)
    at.button(key="list_drift_repair_0").click().run()
    assert at.success[0].value == f"Repaired {schedule_id}."
    assert schedule_id in {s.schedule_id for s in seeded.scheduler.schedules()}
    at.button(key="list_drift_check").click().run()
    assert any(s.value == "No drift: QStash matches the store." for s in at.success)


def test_csv_export_has_the_filtered_rows(as_user):
    """Casey can download the filtered list as CSV."""
    at = open_page(as_user)
    [download] = at.get("download_button")
    assert download.proto.label == "Download CSV"


def test_the_opened_message_stays_open_across_actions(as_user, seeded):
    """Casey pauses her daily check-in: the table keeps the same rows (so her selection holds, in the browser too)
    and the panel stays open with Resume ready for her next click."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    key = table(at, "list_table_").key
    at.button(key="list_pause").click().run()
    assert table(at, "list_table_").key == key
    assert at.button(key="list_resume").disabled is False


def test_rows_say_who_they_reach_and_support_sees_each_coach(as_user, seeded):
    """Sky from support sees every row with its coach's name and an Audience column: all clients, a tag, or how
    many chosen clients."""
    casey = account(seeded, "coach@example.com")
    two = [c.id for c in seeded.schedules.clients(casey.as_actor())[:2]]
    seeded.schedules.create(
        casey, ScheduleRequest(body="Hi", title="Two of them", kind="daily", send_time=time(7), target="clients",
                               client_ids=two),
    )  # fmt: skip
    rows = open_page(as_user, "support@example.com").dataframe[0].value.set_index("Title")
    assert rows.loc["Two of them", "Audience"] == "2 clients"
    assert rows.loc["Daily check-in", "Audience"].tolist() == ["all", "all"]
    assert set(rows.loc["Weekly nutrition tip", "Audience"]) == {"tag nutrition"}
    assert rows.loc["Two of them", "Coach"] == "Casey Coach"
    assert set(rows["Coach"]) == {"Casey Coach", "Morgan Mentor"}


def test_audit_trail_names_people_and_lists_changes_in_words(as_user, seeded):
    """Casey moves her daily check-in from 08:00 to 10:00 and rewrites it: the audit trail says "Casey Coach" and
    "Time: 08:00 → 10:00; Text changed", with no ids or JSON."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    at.time_input(key="list_edit_time").set_value(time(10))
    at.text_area(key="list_edit_body").input("Up and at it, {first_name}!")
    at = _submit_edit(at)
    at = open_message(at, mid)
    trail = with_column(at, "Action")
    assert list(trail.columns) == ["When", "Action", "By", "Changes"]
    edit = trail.iloc[0]
    assert (edit["Action"], edit["By"]) == ("Edited", "Casey Coach")
    assert edit["Changes"] == "Time: 08:00 → 10:00; Text changed"
    assert trail.iloc[-1]["Action"] == "Created"
    assert "{" not in " ".join(trail["Changes"])
    assert mid not in " ".join(trail["By"])


def test_repair_shows_only_when_something_needs_it(as_user, seeded):
    """Casey's daily check-in is fine: no Repair button. Once its QStash schedule has vanished, opening it warns
    that QStash disagrees and offers Repair; after the repair the button is gone again."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    assert not [b for b in at.button if b.key == "list_repair"]
    [schedule_id] = seeded.store.messages.qstash_links(mid).values()
    seeded.scheduler.delete_schedule(schedule_id)
    at = open_message(open_message(at, message_id(seeded, "Welcome")), mid)  # she opens another, then this again
    assert any("missing in QStash" in w.value for w in at.warning)
    at.button(key="list_repair").click().run()
    assert at.success[0].value == "Re-registered with QStash: “Daily check-in”."
    assert not [b for b in at.button if b.key == "list_repair"]
