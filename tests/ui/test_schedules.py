"""Stories about the Schedules page: the list, one message's details, and the actions on it."""

from tests.ui.conftest import account


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
    at.selectbox(key="list_selected").set_value(mid)
    return at.run()


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
    assert caseys not in at.selectbox(key="list_selected").options
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
    at.checkbox(key="list_cancel_confirm").check().run()
    at.button(key="list_cancel").click().run()
    assert at.success[0].value == "Cancelled for good: “Daily check-in”."
    assert status_of(seeded, mid) == "cancelled"
    actions = list(at.dataframe[-1].value["Action"])
    assert actions[:3] == ["cancel", "resume", "pause"]


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


def test_the_opened_message_keeps_its_label_across_actions(as_user, seeded):
    """Casey pauses her daily check-in: the message she opened keeps the same entry in the list (the browser sends
    the chosen label back, so a label that changed would close the panel and swallow her next click)."""
    mid = message_id(seeded, "Daily check-in")
    at = open_message(open_page(as_user), mid)
    before = list(at.selectbox(key="list_selected").options)
    at.button(key="list_pause").click().run()
    assert list(at.selectbox(key="list_selected").options) == before
    assert at.button(key="list_resume").disabled is False
