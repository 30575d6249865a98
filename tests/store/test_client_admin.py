"""Adding, editing and (de)activating clients: bad input is refused with a clear message, and scoped per coach."""

import pytest

from services.client_admin import ClientService
from services.errors import UserError
from services.qstash.registrar import Registrar
from services.schedules import ScheduleService
from tests import factories
from tests.fakes import RecordingScheduler


@pytest.fixture
def clients(store, clock):
    """The Clients page's service, with QStash behind a recording fake."""
    return ClientService(store, ScheduleService(store, Registrar(store, RecordingScheduler()), clock))


@pytest.fixture
def two_coaches(store):
    """Coach A with one client, coach B with one."""
    a = factories.coach(store, "a@example.com")
    b = factories.coach(store, "b@example.com", tz="Europe/London")
    factories.clients(store, a, [("Ann Apple", "America/New_York", ["vip"])])
    factories.clients(store, b, [("Bea Birch", "Europe/London", ["vip"])])
    return a, b


def set_active(clients, actor, client_id, active):
    """Save the edit form of one client with only the active switch changed."""
    current = clients.get(actor, client_id)
    return clients.edit(actor, client_id, current.name, current.timezone, list(current.tags), active)


def test_add_edit_and_deactivate(store, clients, two_coaches):
    """A coach adds a client with tags, renames and moves her, then deactivates and reactivates her."""
    a, _ = two_coaches
    actor = a.as_actor()
    added = clients.add(actor, "  Cleo Cedar ", "Asia/Tokyo", ["VIP", "new-joiner", "vip", " "])
    assert (added.name, added.timezone, added.tags, added.active) == (
        "Cleo Cedar",
        "Asia/Tokyo",
        ("new-joiner", "vip"),
        True,
    )
    assert added.coach_id == a.id
    edited = clients.edit(actor, added.id, "Cleo C.", "Europe/Paris", ["beginner_2"])
    assert store.clients.get(actor, added.id) == edited
    assert (edited.name, edited.timezone, edited.tags) == ("Cleo C.", "Europe/Paris", ("beginner_2",))
    assert not set_active(clients, actor, added.id, False).active
    assert store.clients.page(actor, active=False) == ([store.clients.get(actor, added.id)], 1)
    assert set_active(clients, actor, added.id, True).active


@pytest.mark.parametrize(
    ("name", "zone", "tags", "message"),
    [
        ("   ", "Europe/London", [], "Client name is required."),
        ("x" * 121, "Europe/London", [], "The name is longer than 120 characters."),
        ("Dot Dune", "Mars/Olympus", [], "Unknown time zone 'Mars/Olympus'. Use an IANA name such as Europe/London."),
        ("Dot Dune", "", [], "Unknown time zone ''. Use an IANA name such as Europe/London."),
        ("Dot Dune", "Europe/London", ["t" * 41], f"The tag '{'t' * 20}…' is longer than 40 characters."),
        (
            "Dot Dune",
            "Europe/London",
            ["ok", "two words"],
            "The tag 'two words' may only use letters, digits, '-' and '_'.",
        ),
        ("Dot Dune", "Europe/London", ["a,b"], "The tag 'a,b' may only use letters, digits, '-' and '_'."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(store, clients, two_coaches, name, zone, tags, message):
    """Each bad value on add or edit gets its own message, and the store is unchanged."""
    a, _ = two_coaches
    actor = a.as_actor()
    [ann] = store.clients.list(actor)
    with pytest.raises(UserError) as raised:
        clients.add(actor, name, zone, tags)
    assert raised.value.message == message
    with pytest.raises(UserError) as raised:
        clients.edit(actor, ann.id, name, zone, tags)
    assert raised.value.message == message
    assert store.clients.list(actor) == [ann]


def test_a_40_character_tag_is_fine(store, clients, two_coaches):
    """The limit is inclusive: 40 characters of letters, digits, '-' and '_' are accepted."""
    a, _ = two_coaches
    tag = "A-b_9" * 8
    assert clients.add(a.as_actor(), "Eve Elm", "UTC", [tag]).tags == (tag.lower(),)


def test_coach_a_cannot_touch_coach_bs_client(store, clients, two_coaches):
    """Coach A gets 'No such client.' for B's client on edit and (de)activate, as for an unknown id."""
    a, b = two_coaches
    [bea] = store.clients.list(b.as_actor())
    for client_id in (bea.id, "no-such-id"):
        with pytest.raises(UserError, match=r"^No such client.$"):
            clients.edit(a.as_actor(), client_id, "Mine now", "UTC", [])
        with pytest.raises(UserError, match=r"^No such client.$"):
            set_active(clients, a.as_actor(), client_id, False)
        with pytest.raises(UserError, match=r"^No such client.$"):
            store.clients.update(a.as_actor(), client_id, "Mine now", "UTC", [])
    assert store.clients.get(b.as_actor(), bea.id) == bea


def test_coach_cannot_add_a_client_for_another_coach(store, clients, two_coaches):
    """A coach naming another coach still adds to her own list."""
    a, b = two_coaches
    added = clients.add(a.as_actor(), "Fay Fern", "UTC", [], coach_id=b.id)
    assert added.coach_id == a.id
    assert [c.name for c in store.clients.list(b.as_actor())] == ["Bea Birch"]


def test_support_adds_for_a_named_coach_and_edits_across_coaches(store, clients, two_coaches):
    """Support must name an existing coach when adding; it may edit any coach's client."""
    a, b = two_coaches
    staff = factories.support(store).as_actor()
    with pytest.raises(UserError, match=r"Choose the coach"):
        clients.add(staff, "Gil Gorse", "UTC", [])
    with pytest.raises(UserError, match=r"Choose the coach"):
        clients.add(staff, "Gil Gorse", "UTC", [], coach_id=staff.account_id)
    gil = clients.add(staff, "Gil Gorse", "UTC", [], coach_id=b.id)
    assert gil.coach_id == b.id
    [bea] = store.clients.list(b.as_actor(), search="bea")
    assert clients.edit(staff, bea.id, "Bea B.", "UTC", ["x"]).name == "Bea B."
    rows, total = store.clients.page(staff, coach_id=a.id)
    assert (total, [c.name for c in rows]) == (1, ["Ann Apple"])


def test_client_changes_are_audited(store, clock):
    """Adding, editing and deactivating a client each leave an audit event with who and what."""
    from tests import factories

    owner = factories.coach(store, "audit@example.com")
    [client] = factories.clients(store, owner, [("Ann Apple", "UTC", ["vip"])])
    clock.advance(seconds=1)
    store.clients.update(owner.as_actor(), client.id, "Ann Appleby", "Europe/London", ["new", "vip"])
    clock.advance(seconds=1)
    store.clients.update(owner.as_actor(), client.id, "Ann Appleby", "Europe/London", ["new", "vip"], False)
    events = [e for e in store.audit.list(owner.as_actor()) if e["action"].startswith("client_")]
    assert [e["action"] for e in events] == ["client_active", "client_edit", "client_add"]
    assert events[1]["old_values"] == {"name": "Ann Apple", "timezone": "UTC", "tags": ["vip"]}
    assert events[1]["new_values"]["tags"] == ["new", "vip"]
    assert events[0]["actor_id"] == owner.id
