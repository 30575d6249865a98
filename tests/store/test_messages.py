"""Scheduled messages: listing, version checks, audit events."""

import pytest

from services.errors import Conflict
from tests import factories


@pytest.fixture
def owner(store):
    """A coach with one client."""
    coach = factories.coach(store)
    factories.clients(store, coach, [("Ann Apple", "America/New_York", ["vip"])])
    return coach


def test_insert_writes_an_audit_event(store, owner):
    """Creating a message records who created it and with what values."""
    message = store.messages.insert(owner.as_actor(), factories.once_values(store, owner, body="Hello"))
    events = store.audit.list(owner.as_actor(), message_id=message.id)
    assert [e["action"] for e in events] == ["create"]
    assert events[0]["actor_id"] == owner.id
    assert events[0]["new_values"]["body"] == "Hello"
    assert events[0]["old_values"] is None


def test_update_checks_version_and_audits_old_and_new(store, owner, clock):
    """An edit with the current version bumps it and records old and new; a stale one is refused."""
    message = store.messages.insert(owner.as_actor(), factories.once_values(store, owner, body="Old"))
    clock.advance(minutes=1)
    edited = store.messages.update(owner.as_actor(), message.id, {"body": "New"}, expected_version=1)
    assert edited.version == 2
    assert edited.body == "New"
    with pytest.raises(Conflict, match="changed by someone else"):
        store.messages.update(owner.as_actor(), message.id, {"body": "Stale"}, expected_version=1)
    event = store.audit.list(owner.as_actor(), message_id=message.id)[0]
    assert (event["action"], event["old_values"], event["new_values"]) == ("edit", {"body": "Old"}, {"body": "New"})
    assert store.messages.get(owner.as_actor(), message.id).body == "New"


def test_list_filters_pages_and_counts(store, owner, clock):
    """Status, kind and text filters and paging run in SQL, with the total beside the page."""
    for n in range(5):
        clock.advance(seconds=1)
        store.messages.insert(owner.as_actor(), factories.once_values(store, owner, body=f"Body {n}", title=f"T{n}"))
    rows, total = store.messages.list(owner.as_actor(), limit=2, offset=0)
    assert total == 5
    assert [r["title"] for r in rows] == ["T4", "T3"]
    rows, total = store.messages.list(owner.as_actor(), search="body 1")
    assert total == 1
    assert rows[0]["title"] == "T1"
    assert store.messages.list(owner.as_actor(), status="paused")[1] == 0
    assert store.messages.list(owner.as_actor(), kind="once")[1] == 5


def test_qstash_links_fill_the_indexed_column(store, owner):
    """QStash ids are kept per zone group and in the guide's indexed qstash_id column."""
    message = store.messages.insert(owner.as_actor(), factories.once_values(store, owner))
    store.messages.set_qstash_links(message.id, {"America/New_York": "msg_1"})
    assert store.messages.get(owner.as_actor(), message.id).qstash_id == "msg_1"
    assert store.messages.find_by_qstash_id("msg_1") == message.id
