"""Every read and write a coach can reach is scoped to that coach; support reads across coaches."""

import pytest
from sqlalchemy.exc import IntegrityError

from services.errors import NotFound, UserError
from tests import factories


@pytest.fixture
def two_coaches(store):
    """Coach A with two clients, coach B with one."""
    a = factories.coach(store, "a@example.com")
    b = factories.coach(store, "b@example.com", tz="Europe/London")
    factories.clients(store, a, [("Ann Apple", "America/New_York", ["vip"]), ("Abe Ash", "Asia/Tokyo", [])])
    factories.clients(store, b, [("Bea Birch", "Europe/London", ["vip"])])
    return a, b


def test_coach_lists_only_own_clients(store, two_coaches):
    """A coach's client list and tags never include another coach's clients."""
    a, b = two_coaches
    assert [c.name for c in store.clients.list(a.as_actor())] == ["Abe Ash", "Ann Apple"]
    assert [c.name for c in store.clients.list(b.as_actor())] == ["Bea Birch"]
    assert store.clients.tags(b.as_actor()) == ["vip"]


def test_foreign_client_ids_are_invisible(store, two_coaches):
    """Asking for coach B's client by id as coach A returns nothing."""
    a, b = two_coaches
    bea = store.clients.list(b.as_actor())[0]
    assert store.clients.get_many(a.as_actor(), [bea.id]) == []
    with pytest.raises(UserError, match=r"^No such client.$"):
        store.clients.update(a.as_actor(), bea.id, bea.name, bea.timezone, list(bea.tags), False)
    assert store.clients.get_many(b.as_actor(), [bea.id])[0].active


def test_coach_cannot_read_or_change_another_coachs_message(store, two_coaches):
    """Coach A gets 'No such message' for B's message, on read and on write."""
    a, b = two_coaches
    message = store.messages.insert(b.as_actor(), factories.once_values(store, b))
    with pytest.raises(NotFound, match=r"^No such message.$"):
        store.messages.get(a.as_actor(), message.id)
    with pytest.raises(NotFound, match=r"^No such message.$"):
        store.messages.update(a.as_actor(), message.id, {"status": "cancelled"})
    assert store.messages.list(a.as_actor())[1] == 0
    assert store.messages.get(b.as_actor(), message.id).status == "scheduled"


def test_support_reads_across_coaches(store, two_coaches):
    """Support sees every coach's clients and messages."""
    a, b = two_coaches
    staff = factories.support(store)
    store.messages.insert(a.as_actor(), factories.once_values(store, a))
    store.messages.insert(b.as_actor(), factories.once_values(store, b))
    assert store.clients.count(staff.as_actor()) == 3
    assert store.messages.list(staff.as_actor())[1] == 2
    assert {c.display_name for c in store.accounts.coaches(staff.as_actor())} == {"Casey Coach"}
    assert len(store.accounts.coaches(staff.as_actor())) == 2


def test_client_filters_and_paging_happen_in_sql(store, two_coaches):
    """Tag, search and paging filter the list."""
    a, _ = two_coaches
    actor = a.as_actor()
    assert [c.name for c in store.clients.list(actor, tag="vip")] == ["Ann Apple"]
    assert [c.name for c in store.clients.list(actor, search="ash")] == ["Abe Ash"]
    assert [c.name for c in store.clients.list(actor, limit=1, offset=1)] == ["Ann Apple"]


def test_the_unique_email_constraint_refuses_a_second_account(store):
    """Two inserts of one email (a race the service's own check cannot close): the constraint refuses the second
    with a clear message, and neither an account nor an audit event is left behind."""
    staff = factories.support(store).as_actor()
    factories.coach(store, "dup@example.com")
    before = (store.accounts.count(), store.audit.list(staff))
    with pytest.raises(UserError, match=r"^An account with email dup@example.com already exists.$"):
        factories.coach(store, "dup@example.com")
    assert (store.accounts.count(), store.audit.list(staff)) == before


def test_constraints_refuse_bad_rows(store, two_coaches):
    """CHECK constraints stop statuses and kinds that do not exist, and one-time messages without a time."""
    a, _ = two_coaches
    for bad in ({"status": "sending"}, {"kind": "hourly"}, {"send_at": None}, {"target": "tag"}):
        with pytest.raises(IntegrityError):
            store.messages.insert(a.as_actor(), factories.once_values(store, a, **bad))
    assert store.messages.list(a.as_actor())[1] == 0
