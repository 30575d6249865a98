"""Stories about replies and nudges in the dashboard: replying as a client in the Inbox, reply rates on the
Schedules details and the Delivery Log, composing a follow-up, and cancelling a nudge."""

from services.domain import FollowUp
from tests.ui.conftest import account
from tests.ui.tables import select_row
from tests.ui.test_inbox_and_qstash import fire_welcome
from tests.ui.test_message_scheduler import fill


def frame_with(at, column):
    """The shown table that has this column (st.dataframe keys are not exposed to AppTest), or None."""
    return next((d.value for d in at.dataframe if column in d.value.columns), None)


def welcome_id(services):
    rows, _ = services.store.messages.list(account(services, "coach@example.com").as_actor(), search="Welcome")
    return rows[0]["id"]


def client_named(services, name):
    coach = account(services, "coach@example.com")
    return next(c for c in services.store.clients.list(coach.as_actor()) if c.name == name)


def test_replying_as_a_client_in_the_inbox_counts_as_their_reply(as_user, seeded):
    """Casey picks Blair in the Inbox and replies as Blair: the reply shows in the thread and counts for the
    welcome message Blair got."""
    fire_welcome(seeded)
    blair = client_named(seeded, "Blair Chen")
    at = as_user().switch_page("pages/inbox.py").run()
    at.selectbox(key="inbox_client").set_value(blair.id).run()
    at.text_input(key="inbox_reply_text").input("Thanks, Casey!")
    at.button(key="FormSubmitter:inbox_reply_form-Reply as this client").click().run()
    assert not at.exception
    assert at.success[0].value.startswith("Posted, and counted as this client's reply")
    assert "Thanks, Casey!" in [t.value for t in at.text]
    [row] = seeded.store.replies.occurrences(welcome_id(seeded))
    assert (row["sent"], row["replied"]) == (12, 1)


def test_an_empty_reply_is_refused_where_it_was_typed(as_user, seeded):
    """Replying with nothing says so and records nothing."""
    fire_welcome(seeded)
    at = as_user().switch_page("pages/inbox.py").run()
    at.selectbox(key="inbox_client").set_value(client_named(seeded, "Blair Chen").id).run()
    at.button(key="FormSubmitter:inbox_reply_form-Reply as this client").click().run()
    assert at.error[0].value == "Write the reply first."
    assert seeded.store.replies.occurrences(welcome_id(seeded))[0]["replied"] == 0


def test_schedule_details_show_reply_rate_and_who_has_not_replied(as_user, seeded):
    """After one of twelve clients replied, the welcome message's details show 1 of 12 and the other eleven."""
    fire_welcome(seeded)
    coach = account(seeded, "coach@example.com")
    seeded.inbox.reply_as(coach.as_actor(), client_named(seeded, "Blair Chen").id, "Hi!")
    at = as_user().switch_page("pages/schedules.py").run()
    at = select_row(at, "list_table_", "Message id", welcome_id(seeded))
    replies = frame_with(at, "Reply rate")
    assert replies[["Sent", "Replied", "Reply rate"]].values.tolist() == [[12, 1, "8%"]]
    waiting = next(m.value for m in at.markdown if m.value.startswith("Not replied"))
    assert waiting.startswith("Not replied (11):")
    assert "Blair Chen" not in waiting


def test_delivery_log_shows_replies_for_the_chosen_message(as_user, seeded):
    """Choosing the welcome message in the Delivery Log shows its reply rate per occurrence."""
    fire_welcome(seeded)
    coach = account(seeded, "coach@example.com")
    for name in ("Blair Chen", "Alex Rivera"):
        seeded.inbox.reply_as(coach.as_actor(), client_named(seeded, name).id, "Done")
    at = as_user().switch_page("pages/delivery_log.py").run()
    assert frame_with(at, "Reply rate") is None
    at.selectbox(key="log_message").set_value(welcome_id(seeded)).run()
    assert frame_with(at, "Reply rate")[["Sent", "Replied", "Reply rate"]].values.tolist() == [[12, 2, "17%"]]


def test_composing_a_follow_up_saves_it_with_the_message(as_user, seeded):
    """Casey adds "if no reply within 6 hours, send: …" to a new message; a broken field in it is named."""
    at = as_user()
    fill(at, body="How was the session, {first_name}?", title="Session check")
    at.toggle(key="sched_follow_up").set_value(True).run()
    at.number_input(key="sched_follow_up_hours").set_value(6).run()
    at.text_area(key="sched_follow_up_body").input("Just checking, {nickname}").run()
    at.button(key="sched_submit").click().run()
    assert "Unknown field {nickname}" in at.error[0].value
    assert "Follow-up text" in at.error[0].value
    at.text_area(key="sched_follow_up_body").input("Just checking in, {first_name}").run()
    at.button(key="sched_submit").click().run()
    assert not at.error
    rows, _ = seeded.store.messages.list(account(seeded, "coach@example.com").as_actor(), search="Session check")
    saved = seeded.store.messages.get_unscoped(rows[0]["id"])
    assert saved.follow_up == FollowUp(6 * 3600, "Just checking in, {first_name}")


def test_a_scheduled_nudge_is_listed_and_cancelled_on_the_schedules_page(as_user, seeded):
    """The welcome message gets a follow-up; after it is sent its nudge waits in QStash. Casey sees it in the
    details and cancels it: it is recorded as cancelled and QStash no longer holds it."""
    coach = account(seeded, "coach@example.com")
    mid = welcome_id(seeded)
    seeded.store.messages.update(coach.as_actor(), mid, {"follow_up": FollowUp(7200, "Still there?")})
    fire_welcome(seeded)
    at = as_user().switch_page("pages/schedules.py").run()
    at = select_row(at, "list_table_", "Message id", mid)
    nudges = frame_with(at, "Held back")
    assert nudges[["Status", "Sent"]].values.tolist() == [["scheduled", 0]]
    at.button(key="list_nudge_cancel").click().run()
    assert not at.exception
    assert at.success[0].value == "Nudge cancelled: nobody will get it."
    [nudge] = seeded.nudges.for_message(coach.as_actor(), mid)
    assert nudge["status"] == "cancelled"
    assert not seeded.scheduler.message_pending(nudge["qstash_message_id"])
    assert frame_with(at, "Held back")["Status"].tolist() == ["cancelled"]
