"""Stories about saving, naming and reusing message texts on the Message Scheduler page."""

from tests.ui.conftest import account
from tests.ui.test_message_scheduler import fill


def press(at, key):
    [button] = [b for b in at.button if b.key == key]
    return button.click().run()


def test_coach_saves_a_text_and_reuses_it_later(as_user, seeded):
    """Casey writes a Monday motivation with {first_name}, saves it as "Monday push", clears the form, then picks
    the saved text and presses Use: the Message field has it again, personalisation fields and all."""
    text = "Happy Monday {first_name}! New week, new goals."
    at = fill(as_user(), body=text)
    at.text_input(key="sched_saved_name").input("Monday push")
    at = press(at, "sched_saved_save")
    assert "Saved “Monday push”." in [s.value for s in at.success]
    at = fill(at, body="something else")
    [saved] = seeded.schedules.templates.list(account(seeded, "coach@example.com").as_actor())
    at.selectbox(key="sched_saved_pick").set_value(saved["id"]).run()
    at = press(at, "sched_saved_use")
    assert at.text_area(key="sched_body").value == text
    assert at.text[-1].value == "Happy Monday Alex! New week, new goals."  # the preview personalises it


def test_a_broken_text_is_not_saved_and_texts_are_private(as_user, seeded):
    """A text with an unknown field is refused with the same message as when scheduling; Morgan never sees
    Casey's saved texts."""
    at = fill(as_user(), body="Hi {nickname}")
    at.text_input(key="sched_saved_name").input("Broken")
    at = press(at, "sched_saved_save")
    assert any("Unknown field {nickname}" in e.value for e in at.error)
    casey = account(seeded, "coach@example.com").as_actor()
    assert seeded.schedules.templates.list(casey) == []
    seeded.schedules.templates.save(casey, "Mine", "Hello {first_name}")
    morgan = account(seeded, "morgan@example.com").as_actor()
    assert seeded.schedules.templates.list(morgan) == []


def test_saving_under_the_same_name_replaces_and_delete_forgets(as_user, seeded):
    """Casey saves "Check-in" twice: one text remains, the newer one; deleting it empties her list. Each change is
    in the audit log."""
    casey = account(seeded, "coach@example.com").as_actor()
    seeded.schedules.templates.save(casey, "Check-in", "v1 {first_name}")
    seeded.schedules.templates.save(casey, "Check-in", "v2 {first_name}")
    [kept] = seeded.schedules.templates.list(casey)
    assert kept["body"] == "v2 {first_name}"
    at = as_user()
    at.selectbox(key="sched_saved_pick").set_value(kept["id"]).run()
    at = press(at, "sched_saved_delete")
    assert seeded.schedules.templates.list(casey) == []
    actions = [e["action"] for e in seeded.store.audit.list(casey)]
    assert actions[:3] == ["template_delete", "template_save", "template_save"]
