"""Stories about composing and scheduling a message on the Message Scheduler page."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.ui.conftest import account
from tests.ui.markdown import as_read

NEW_YORK = ZoneInfo("America/New_York")


def next_spring_forward(after: date) -> date:
    """The next day on which 02:30 does not exist in New York."""
    day = after
    while True:
        day += timedelta(days=1)
        naive = datetime.combine(day, time(2, 30))
        if (
            naive.replace(tzinfo=NEW_YORK).astimezone(ZoneInfo("UTC")).astimezone(NEW_YORK).replace(tzinfo=None)
            != naive
        ):
            return day


def fill(at, body=None, **widgets):
    """Type the message and set other widgets by key suffix (sched_<name>)."""
    if body is not None:
        at.text_area(key="sched_body").input(body)
    for name, value in widgets.items():
        for finder in (at.radio, at.selectbox, at.multiselect, at.date_input, at.time_input, at.text_input):
            try:
                widget = finder(key=f"sched_{name}")
            except KeyError:
                continue
            widget.set_value(value)
            break
        else:
            raise KeyError(name)
        at.run()
    return at.run()


def stored(services, email="coach@example.com"):
    """The coach's messages and audit events, as counts."""
    actor = account(services, email).as_actor()
    return services.store.messages.list(actor)[1], len(services.store.audit.list(actor, limit=500))


def test_once_message_ten_minutes_ahead_is_scheduled(as_user, seeded):
    """Casey writes a one-time message for ten minutes from now to her VIP clients and presses Schedule Message:
    she sees when it will send, and the message is stored as scheduled with its QStash id."""
    at = as_user()
    soon = (datetime.now(NEW_YORK) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    fill(at, body="Hi {first_name}!", title="VIP hello", target="tag")
    fill(
        at,
        body="Hello {first_name}, see you soon! — {coach_name}",
        tag="vip",
        kind="once",
        date=soon.date(),
        time=soon.time(),
    )
    assert "Once, on" in at.markdown[0].value
    at.button(key="sched_submit").click().run()
    assert not at.error
    assert not at.exception
    assert at.success[0].value.startswith("Scheduled “VIP hello”. It will send on")
    assert soon.strftime("%H:%M") in at.success[0].value
    assert at.text_area(key="sched_body").value == ""  # cleared, so a second click cannot send it twice
    rows, total = seeded.store.messages.list(account(seeded, "coach@example.com").as_actor(), search="VIP hello")
    assert total == 1
    row = rows[0]
    assert (row["status"], row["kind"], row["target_tag"]) == ("scheduled", "once", "vip")
    assert row["send_at"] == soon.astimezone(ZoneInfo("UTC"))
    assert row["qstash_id"]


@pytest.mark.parametrize("kind", ["once", "daily", "weekly"])
def test_the_time_a_browser_reports_before_it_got_the_form_state_is_the_coachs(as_user, seeded, kind):
    """A browser that reports the date and time widgets before it got their session-state values sends the
    widgets' own defaults back: those must be Casey's ten-minutes-from-now in New York (and Monday), not the
    server's "now" and "today" in UTC. (CI met this at 03:45 UTC: a once message for 03:43 on the New York date,
    already past.)"""
    # A clock 7 h 30 ahead of real time: New York's ten-minutes-from-now then never equals the server's own now.
    fixed = datetime.now(ZoneInfo("UTC")).replace(microsecond=0) + timedelta(hours=7, minutes=30)
    seeded.schedules.clock = lambda: fixed
    at = as_user()
    if kind != "once":
        fill(at, kind=kind)
    soon = (fixed + timedelta(minutes=10)).astimezone(NEW_YORK)
    time_widget = at.time_input(key="sched_time")
    assert time_widget.proto.default == f"{soon:%H:%M}"
    assert time_widget.value == soon.time().replace(second=0)
    if kind == "once":
        assert at.date_input(key="sched_date").proto.default == [f"{soon:%Y-%m-%d}"]
    if kind == "weekly":
        assert list(at.multiselect(key="sched_weekdays").proto.default) == [0]


def test_preview_shows_the_rule_next_sends_and_recipients(as_user):
    """Casey sets up a weekly Monday 09:00 message: the preview says so in words, lists five Mondays, counts her
    active clients, and shows what the first client will read."""
    at = as_user()
    fill(at, body="Morning {first_name}!", kind="weekly")
    fill(at, time=time(9, 0), weekdays=[0])
    assert as_read(at.markdown[0].value) == "**At 09:00, only on Monday (America/New_York)**"
    table = at.table[0].value
    mine = table[table["Zone"] == "America/New_York (yours)"]
    assert list(mine["Send"]) == [1, 2, 3, 4, 5]
    assert all(cell.startswith("Mon ") and "09:00" in cell for cell in mine["Local time"])
    assert at.metric[0].value == "12"  # 13 clients, one inactive
    assert at.text[-1].value == "Morning Alex!"


def test_preview_warns_about_a_dst_gap(as_user):
    """Casey plans a daily 02:30 message in New York: the preview warns that on the spring-forward day the send
    moves an hour."""
    at = as_user()
    fill(at, body="Hi", kind="daily")
    fill(at, time=time(2, 30))
    gap = next_spring_forward(date.today()).isoformat()
    assert any(gap in w.value and "clocks skip" in w.value for w in at.warning)


def _past(at):
    yesterday = datetime.now(NEW_YORK).date() - timedelta(days=1)
    return {"kind": "once", "date": yesterday, "time": time(9, 0)}


BAD_INPUTS = [
    ("empty text", {"body": "   "}, "Write the message text first."),
    ("too long", {"body": "x" * 5001}, "The message is 5,001 characters; the limit is 5,000."),
    ("past time", "past", "That time is in the past."),
    ("invalid cron", {"kind": "cron", "cron": "61 * * * *"}, "'61 * * * *' is not a valid cron rule."),
    ("unknown zone", {"zone": "Mars/Olympus_Mons"}, "Unknown time zone 'Mars/Olympus_Mons'"),
    ("DST gap", "gap", "02:30 does not exist on"),
    ("no tag", {"target": "tag"}, "No client has the tag ''"),
]


@pytest.mark.parametrize(("name", "widgets", "expected"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_each_bad_input_shows_its_error_and_writes_nothing(app, seeded, name, widgets, expected):
    """Casey makes one mistake in the form and presses Schedule Message: the error says what is wrong, next to
    the form, and nothing is stored."""
    app.session_state["account"] = account(seeded, "coach@example.com")
    if name == "unknown zone":
        # A name typed into the searchable zone picker: AppTest cannot type new options, so state carries it.
        app.session_state["sched_zone"] = widgets["zone"]
        widgets = {}
    at = app.run()
    before = stored(seeded)
    if widgets == "past":
        widgets = _past(at)
    elif widgets == "gap":
        widgets = {
            "kind": "once",
            "date": next_spring_forward(date.today()),
            "time": time(2, 30),
            "zone": "America/New_York",
        }
    widgets = dict(widgets)
    body = widgets.pop("body", "Hi {first_name}!")
    fill(at, body=body, **widgets)
    at.button(key="sched_submit").click().run()
    assert not at.success
    assert not at.exception
    assert len(at.error) == 1, [e.value for e in at.error]
    assert expected in as_read(at.error[0].value)
    assert stored(seeded) == before


def test_scheduler_down_saves_the_row_in_error_and_says_so(as_user, seeded, qstash_server):
    """QStash cannot be reached when Casey schedules: she is told it was saved but not scheduled and to press
    Repair; the stored row says 'error' with the reason."""
    at = as_user()
    qstash_server.stop()
    fill(at, body="Hi", title="While QStash is down")
    at.button(key="sched_submit").click().run(timeout=60)
    assert at.error[0].value.startswith("Saved but not scheduled: Could not schedule the message")
    assert "press Repair on the Schedules page" in at.error[0].value
    rows, _ = seeded.store.messages.list(account(seeded, "coach@example.com").as_actor(), search="While QStash")
    assert rows[0]["status"] == "error"
    assert "QStash could not be reached" in rows[0]["last_error"]


def test_chosen_clients_by_name(as_user, seeded):
    """Casey picks two clients by name for a daily message: it is stored with exactly those recipients."""
    at = as_user()
    coach = account(seeded, "coach@example.com")
    names = {c.name: c.id for c in seeded.store.clients.list(coach.as_actor())}
    fill(at, body="Hi", title="Two clients", target="clients", kind="daily")
    fill(at, clients=[names["Blair Chen"], names["Dana Silva"]], time=time(7, 15))
    assert at.metric[0].value == "2"
    at.button(key="sched_submit").click().run()
    assert at.success, [e.value for e in at.error]
    rows, _ = seeded.store.messages.list(coach.as_actor(), search="Two clients")
    message = seeded.store.messages.get(coach.as_actor(), rows[0]["id"])
    assert set(message.client_ids) == {names["Blair Chen"], names["Dana Silva"]}
    assert message.cron == "15 7 * * *"
