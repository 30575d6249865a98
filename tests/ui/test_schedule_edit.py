"""Stories about editing a message on the Schedules page with the full compose form: audience, timing, zones."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services import recurrence
from services.qstash.port import schedule_id_for
from tests.ui.conftest import account
from tests.ui.test_schedules import message_id, open_message, open_page

NEW_YORK = ZoneInfo("America/New_York")


def save(at):
    """Press Save changes."""
    [button] = [b for b in at.button if b.label == "Save changes"]
    return button.click().run()


def test_edit_audience_end_date_and_time_of_a_recurring_message(as_user, seeded):
    """Casey turns her daily check-in (to all clients, 08:00) into one for clients tagged 'nutrition' at 07:30,
    ending on a date: the row, its version and QStash's schedule all follow."""
    mid = message_id(seeded, "Daily check-in")
    before = seeded.store.messages.get_unscoped(mid)
    at = open_message(open_page(as_user), mid)
    assert at.radio(key="list_edit_target").value == "all"  # prefilled from the message
    assert at.time_input(key="list_edit_time").value == time(8, 0)
    at.radio(key="list_edit_target").set_value("tag").run()
    at.selectbox(key="list_edit_tag").set_value("nutrition")
    end = date.today() + timedelta(days=30)
    at.date_input(key="list_edit_end_date").set_value(end)
    at.time_input(key="list_edit_time").set_value(time(7, 30))
    at = save(at)
    assert not at.error
    assert not at.exception
    assert at.success[0].value == "Saved: “Daily check-in”."
    after = seeded.store.messages.get_unscoped(mid)
    assert (after.target, after.target_tag, after.cron, after.status) == ("tag", "nutrition", "30 7 * * *", "scheduled")
    assert after.end_at == recurrence.local_to_utc(end, time(23, 59), "America/New_York")
    assert after.version == before.version + 1
    assert after.qstash_id == before.qstash_id == schedule_id_for(mid, "America/New_York")
    schedule = seeded.scheduler.client.schedule.get(after.qstash_id)
    assert schedule.cron == "CRON_TZ=America/New_York 30 7 * * *"


def test_switch_to_each_clients_zone_and_max_sends(as_user, seeded):
    """Casey makes the nutrition tip go out at 10:00 in each client's own zone, at most 4 times: QStash gets one
    schedule per zone her tagged active clients live in."""
    mid = message_id(seeded, "Weekly nutrition tip")
    at = open_message(open_page(as_user), mid)
    assert at.multiselect(key="list_edit_weekdays").value == [0]
    at.radio(key="list_edit_zone_mode").set_value("client")
    at.number_input(key="list_edit_max_sends").set_value(4)
    at = save(at)
    assert not at.error
    assert not at.exception
    message = seeded.store.messages.get_unscoped(mid)
    assert (message.zone_mode, message.max_occurrences) == ("client", 4)
    zones = seeded.store.clients.zones_of(message)
    assert len(zones) > 1
    links = seeded.store.messages.qstash_links(mid)
    assert set(links) == set(zones)
    for zone, schedule_id in links.items():
        assert seeded.scheduler.client.schedule.get(schedule_id).cron == f"CRON_TZ={zone} 0 10 * * 1"


def test_one_time_message_to_chosen_clients_at_a_new_time(as_user, seeded):
    """Casey moves the welcome message to tomorrow 09:15 and sends it only to two chosen clients: the old QStash
    message is cancelled and a new one waits for the new time."""
    mid = message_id(seeded, "Welcome")
    old = seeded.store.messages.get_unscoped(mid)
    casey = account(seeded, "coach@example.com").as_actor()
    chosen = [c.id for c in seeded.store.clients.list(casey, search="a", limit=2)]
    at = open_message(open_page(as_user), mid)
    at.radio(key="list_edit_target").set_value("clients").run()
    at.multiselect(key="list_edit_clients").set_value(chosen)
    tomorrow = datetime.now(NEW_YORK).date() + timedelta(days=1)
    at.date_input(key="list_edit_date").set_value(tomorrow)
    at.time_input(key="list_edit_time").set_value(time(9, 15))
    at = save(at)
    assert not at.error
    assert not at.exception
    new = seeded.store.messages.get_unscoped(mid)
    assert (new.target, sorted(new.client_ids), new.version) == ("clients", sorted(chosen), old.version + 1)
    assert new.send_at == recurrence.local_to_utc(tomorrow, time(9, 15), "America/New_York")
    assert new.qstash_id != old.qstash_id
    waiting = seeded.scheduler.client.message.get(new.qstash_id)
    assert waiting.not_before == int(new.send_at.timestamp()) * 1000  # QStash answers in milliseconds


def test_bad_edit_shows_the_field_and_changes_nothing(as_user, seeded):
    """An end date before today is refused with the field named; the row and QStash keep the old rule."""
    mid = message_id(seeded, "Daily check-in")
    before = seeded.store.messages.get_unscoped(mid)
    at = open_message(open_page(as_user), mid)
    at.date_input(key="list_edit_end_date").set_value(date.today() - timedelta(days=2))
    at = save(at)
    assert any(e.value == "**End date:** The end date is in the past." for e in at.error), [e.value for e in at.error]
    assert seeded.store.messages.get_unscoped(mid) == before
    assert seeded.scheduler.client.schedule.get(before.qstash_id).cron == "CRON_TZ=America/New_York 0 8 * * *"
