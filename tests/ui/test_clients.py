"""Stories about the Clients page: the list, adding a client, editing tags, deactivating, and who sees whom."""

from dataclasses import replace
from datetime import time

import pytest

from services.compose import ScheduleRequest
from tests.ui.conftest import account
from tests.ui.markdown import as_read


def open_page(as_user, email="coach@example.com"):
    at = as_user(email)
    return at.switch_page("pages/clients.py").run()


def clients_of(services, email="coach@example.com"):
    """The coach's clients in the store, by name."""
    return {c.name: c for c in services.store.clients.list(account(services, email).as_actor(), limit=500)}


def pick_zone(at, key, zone):
    """Choose a zone, or type one that is not in the list (the browser then sends the typed text as the value)."""
    picker = at.selectbox(key=key)
    if zone not in picker.options:
        picker.options.append(zone)
    picker.set_value(zone)


def add(at, name, zone=None, tags=(), coach=None):
    """Fill the Add client form and submit it."""
    if coach is not None:
        at.selectbox(key="clients_add_coach").set_value(coach)
    at.text_input(key="clients_add_name").input(name)
    if zone is not None:
        pick_zone(at, "clients_add_zone", zone)
    at.multiselect(key="clients_add_tags").set_value(list(tags))
    [button] = [b for b in at.button if b.label == "Add client"]
    return button.click().run()


def edit(at, client_id, **values):
    """Open a client in the edit form, change the given fields and save."""
    at.selectbox(key="clients_selected").set_value(client_id).run()
    if "zone" in values:
        pick_zone(at, "clients_edit_zone", values.pop("zone"))
    for name, value in values.items():
        widget = {"name": at.text_input, "tags": at.multiselect, "active": at.toggle}[name](key=f"clients_edit_{name}")
        widget.set_value(value)
    [button] = [b for b in at.button if b.label == "Save client"]
    return button.click().run()


def test_coach_sees_her_clients_with_filters_paging_and_csv(as_user):
    """Casey opens Clients: her 13 clients are listed with zone, tags and active, none of Morgan's; she narrows
    the list by tag and by name, and can download it as CSV."""
    at = open_page(as_user)
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 13
    assert "Coach" not in table.columns
    assert set(table.columns) >= {"Name", "Time zone", "Tags", "Active"}
    assert "Nia Brooks" not in set(table["Name"])
    assert list(table["Active"]).count(False) == 1
    at.selectbox(key="clients_tag").set_value("vip").run()
    assert all("vip" in tags for tags in at.dataframe[0].value["Tags"])
    at.text_input(key="clients_search").input("alex").run()
    assert list(at.dataframe[0].value["Name"]) == ["Alex Rivera"]
    assert any("Showing 1–1 of 1" in c.value for c in at.caption)
    assert "Download CSV" in [d.proto.label for d in at.get("download_button")]


def test_add_a_client(as_user, seeded):
    """Casey adds Nora Novak in Berlin with a known and a new tag: she is in the store and in the table."""
    at = add(open_page(as_user), "Nora Novak", "Europe/Berlin", ["vip", "Spring-2027"])
    assert not at.error
    assert not at.exception
    assert at.success[0].value == "Added Nora Novak."
    nora = clients_of(seeded)["Nora Novak"]
    assert (nora.timezone, nora.tags, nora.active) == ("Europe/Berlin", ("spring-2027", "vip"), True)
    assert "Nora Novak" in set(at.dataframe[0].value["Name"])
    assert at.text_input(key="clients_add_name").value == ""  # a fresh form for the next one


@pytest.mark.parametrize(
    ("name", "zone", "tags", "expected"),
    [
        ("   ", None, [], "Client name is required."),
        ("Olga Oak", "Mars/Olympus", [], "Unknown time zone 'Mars/Olympus'."),
        ("Olga Oak", None, ["no spaces"], "The tag 'no spaces' may only use letters, digits, '-' and '_'."),
        ("Olga Oak", None, ["x" * 41], "is longer than 40 characters."),
    ],
)
def test_bad_input_shows_its_message_and_writes_nothing(as_user, seeded, name, zone, tags, expected):
    """Each bad value in the Add client form is named on the page and no client is added."""
    before = clients_of(seeded)
    at = add(open_page(as_user), name, zone, tags)
    assert any(expected in as_read(e.value) for e in at.error), [e.value for e in at.error]
    assert not at.success
    assert clients_of(seeded) == before


def test_edit_tags(as_user, seeded):
    """Casey gives Alex a new tag and drops the old one; the store and the table show it."""
    alex = clients_of(seeded)["Alex Rivera"]
    at = edit(open_page(as_user), alex.id, tags=["marathon", "advanced"])
    assert at.success[0].value == "Saved Alex Rivera."
    assert clients_of(seeded)["Alex Rivera"].tags == ("advanced", "marathon")
    row = at.dataframe[0].value.set_index("Name").loc["Alex Rivera"]
    assert row["Tags"] == "advanced, marathon"


def test_deactivate_and_bad_edit(as_user, seeded):
    """Casey deactivates Blair, then a bad zone on the next edit is refused and changes nothing."""
    blair = clients_of(seeded)["Blair Chen"]
    at = edit(open_page(as_user), blair.id, active=False)
    assert at.success[0].value == "Saved Blair Chen."
    assert not clients_of(seeded)["Blair Chen"].active
    at = edit(at, blair.id, zone="Nowhere/Town", active=True)
    assert any("Unknown time zone 'Nowhere/Town'" in e.value for e in at.error)
    assert clients_of(seeded)["Blair Chen"] == replace(blair, active=False)


def test_moving_a_client_to_a_new_zone_updates_per_client_zone_schedules(as_user, seeded):
    """Casey's each-client's-own-zone daily message has one QStash schedule per zone; moving Alex to a zone none
    of her clients had adds that zone's schedule."""
    casey = account(seeded, "coach@example.com")
    message = seeded.schedules.create(
        casey, ScheduleRequest(body="Hi {first_name}", kind="daily", send_time=time(7, 0), zone_mode="client")
    )
    assert "Africa/Nairobi" not in seeded.store.messages.qstash_links(message.id)
    alex = clients_of(seeded)["Alex Rivera"]
    edit(open_page(as_user), alex.id, zone="Africa/Nairobi")
    links = seeded.store.messages.qstash_links(message.id)
    assert "Africa/Nairobi" in links
    assert seeded.scheduler.client.schedule.get(links["Africa/Nairobi"]).cron == "CRON_TZ=Africa/Nairobi 0 7 * * *"


def test_coach_isolation(as_user, seeded):
    """Morgan's Clients page lists only her 12 clients; Casey's clients are not offered for editing."""
    at = open_page(as_user, "morgan@example.com")
    names = set(at.dataframe[0].value["Name"])
    assert len(names) == 12
    assert "Alex Rivera" not in names
    alex = clients_of(seeded)["Alex Rivera"]
    assert alex.id not in at.selectbox(key="clients_selected").options


def test_support_sees_every_coach_and_adds_for_one(as_user, seeded):
    """Sky from support sees all 25 clients with their coach, narrows to Morgan's, and adds a client for her."""
    at = open_page(as_user, "support@example.com")
    table = at.dataframe[0].value
    assert len(table) == 25
    assert set(table["Coach"]) == {"Casey Coach", "Morgan Mentor"}
    morgan = account(seeded, "morgan@example.com")
    at.selectbox(key="clients_coach").set_value(morgan.id).run()
    assert set(at.dataframe[0].value["Coach"]) == {"Morgan Mentor"}
    at = add(at, "Pat Pine", "Europe/Dublin")
    assert any("Choose the coach" in e.value for e in at.error)
    at = add(at, "Pat Pine", "Europe/Dublin", coach=morgan.id)
    assert at.success[0].value == "Added Pat Pine."
    assert "Pat Pine" in clients_of(seeded, "morgan@example.com")


def test_the_client_being_edited_keeps_its_entry_across_saves(as_user, seeded):
    """Casey deactivates Blair, then moves her to Berlin without choosing her again: Blair's entry in the picker
    did not change with the first save, so in the browser the form stays open for the second."""
    blair = clients_of(seeded)["Blair Chen"]
    at = open_page(as_user)
    at.selectbox(key="clients_selected").set_value(blair.id).run()
    before = at.selectbox(key="clients_selected").proto.options[:]
    at = edit(at, blair.id, active=False)
    assert at.selectbox(key="clients_selected").proto.options[:] == before
