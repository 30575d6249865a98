"""Admins manage accounts: only admins may, bad input is refused clearly, every change is audited, and an admin
never locks themself out."""

import json

import pytest

from services.account_admin import AccountService
from services.auth import LocalAuth
from services.errors import Forbidden, UserError
from tests import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture
def accounts(store):
    """The Accounts page's service."""
    return AccountService(store)


@pytest.fixture
def admin(store):
    """Ada, the admin doing the work."""
    return factories.account(store, "ada@example.com", "Ada Admin", "admin")


def save_edit(accounts, actor, account_id, **changes):
    """Save the edit form of one account with some values changed (the others as stored)."""
    current = accounts.store.accounts.get(account_id)
    values = {
        "display_name": current.display_name,
        "zone_name": current.timezone,
        "role": current.role,
        "active": current.active,
    } | changes
    return accounts.edit(actor, account_id, **values)


@pytest.fixture
def casey(store, accounts, admin):
    """A coach created by Ada with a password."""
    return accounts.create(admin.as_actor(), "casey@example.com", "Casey Coach", "America/New_York", "coach", PASSWORD)


def audit_of(store, admin, account):
    """The audit events about one account, oldest first."""
    return [e for e in reversed(store.audit.list(admin.as_actor())) if e["coach_id"] == account.id]


def test_create_an_account_that_can_log_in(store, accounts, admin, clock):
    """Ada creates a coach: the account is active, emails are lower-cased, and the initial password logs in."""
    made = accounts.create(
        admin.as_actor(), "  New.Coach@Example.COM ", " Nia New ", "Europe/Berlin", "coach", PASSWORD
    )
    assert (made.email, made.display_name, made.timezone, made.role, made.active) == (
        "new.coach@example.com",
        "Nia New",
        "Europe/Berlin",
        "coach",
        True,
    )
    assert LocalAuth(store.accounts).login("new.coach@example.com", PASSWORD) == made
    [event] = audit_of(store, admin, made)
    assert (event["action"], event["actor_id"], event["message_id"], event["old_values"]) == (
        "account_create",
        admin.id,
        None,
        None,
    )
    assert event["new_values"] == {
        "email": "new.coach@example.com",
        "display_name": "Nia New",
        "timezone": "Europe/Berlin",
        "role": "coach",
        "active": True,
    }


@pytest.mark.parametrize(
    ("email", "name", "zone", "role", "password", "message"),
    [
        ("not-an-email", "N", "UTC", "coach", PASSWORD, "Enter a valid email address, e.g. name@example.com."),
        ("a@b", "N", "UTC", "coach", PASSWORD, "Enter a valid email address, e.g. name@example.com."),
        ("two words@example.com", "N", "UTC", "coach", PASSWORD, "Enter a valid email address, e.g. name@example.com."),
        ("", "N", "UTC", "coach", PASSWORD, "Enter a valid email address, e.g. name@example.com."),
        ("CASEY@example.com", "N", "UTC", "coach", PASSWORD, "An account with email casey@example.com already exists."),
        ("n@example.com", "   ", "UTC", "coach", PASSWORD, "Display name is required."),
        ("n@example.com", "x" * 121, "UTC", "coach", PASSWORD, "The display name is longer than 120 characters."),
        (
            "n@example.com",
            "N",
            "Mars/Olympus",
            "coach",
            PASSWORD,
            "Unknown time zone 'Mars/Olympus'. Use an IANA name such as Europe/London.",
        ),
        ("n@example.com", "N", "UTC", "owner", PASSWORD, "Unknown role 'owner'. Choose one of coach, support, admin."),
        ("n@example.com", "N", "UTC", "coach", "123456789", "Passwords need at least 10 characters."),
        ("n@example.com", "N", "UTC", "coach", "", "Passwords need at least 10 characters."),
    ],
)
def test_bad_input_on_create_is_refused_and_nothing_is_written(
    store, accounts, admin, casey, email, name, zone, role, password, message
):
    """Each bad value gets its own message; no account and no audit event is added."""
    before = (store.accounts.count(), store.audit.list(admin.as_actor()))
    with pytest.raises(UserError) as raised:
        accounts.create(admin.as_actor(), email, name, zone, role, password)
    assert raised.value.message == message
    assert (store.accounts.count(), store.audit.list(admin.as_actor())) == before


def test_a_ten_character_password_is_enough(store, accounts, admin):
    """The minimum is inclusive."""
    made = accounts.create(admin.as_actor(), "ten@example.com", "Ten", "UTC", "support", "0123456789")
    assert LocalAuth(store.accounts).login("ten@example.com", "0123456789") == made


def test_list_filters_by_role_and_searches_email_or_name_with_paging(store, accounts, admin, casey):
    """Ada narrows the list by role, by active state, and by a piece of an email or a name, page by page."""
    actor = admin.as_actor()
    factories.support(store, "sky@example.com")
    accounts.create(actor, "morgan@mentors.org", "Morgan Mentor", "Europe/London", "coach", PASSWORD)
    rows, total = accounts.page(actor)
    assert total == 4
    assert [a.email for a in rows] == sorted(a.email for a in rows)
    assert [a.email for a in accounts.page(actor, role="coach")[0]] == [
        "casey@example.com",
        "morgan@mentors.org",
    ]
    assert [a.email for a in accounts.page(actor, search="MENTOR")[0]] == ["morgan@mentors.org"]
    assert [a.email for a in accounts.page(actor, search="sky support")[0]] == ["sky@example.com"]
    assert accounts.page(actor, search="%")[1] == 0  # a wildcard character is matched literally
    assert [a.email for a in accounts.page(actor, role="coach", search="example")[0]] == ["casey@example.com"]
    first, total = accounts.page(actor, limit=3, offset=0)
    second, _ = accounts.page(actor, limit=3, offset=3)
    assert (len(first), len(second), total) == (3, 1, 4)
    save_edit(accounts, actor, casey.id, active=False)
    assert [a.email for a in accounts.page(actor, active=False)[0]] == ["casey@example.com"]
    with pytest.raises(UserError, match=r"Unknown role 'boss'"):
        accounts.page(actor, role="boss")


def test_change_role_profile_and_active_each_audited(store, accounts, admin, casey, clock):
    """Ada renames and moves Casey, makes her support, deactivates her: each change is one audit event."""
    actor = admin.as_actor()
    clock.advance(seconds=1)
    moved = save_edit(accounts, actor, casey.id, display_name="Casey C.", zone_name="Europe/Paris")
    assert (moved.display_name, moved.timezone) == ("Casey C.", "Europe/Paris")
    clock.advance(seconds=1)
    assert save_edit(accounts, actor, casey.id, role="support").role == "support"
    clock.advance(seconds=1)
    assert not save_edit(accounts, actor, casey.id, active=False).active
    events = audit_of(store, admin, casey)
    assert [e["action"] for e in events] == ["account_create", "account_edit", "account_role", "account_active"]
    assert events[1]["old_values"] == {"display_name": "Casey Coach", "timezone": "America/New_York"}
    assert events[1]["new_values"] == {"display_name": "Casey C.", "timezone": "Europe/Paris"}
    assert (events[2]["old_values"], events[2]["new_values"]) == ({"role": "coach"}, {"role": "support"})
    assert (events[3]["old_values"], events[3]["new_values"]) == ({"active": True}, {"active": False})
    assert all(e["actor_id"] == admin.id and e["message_id"] is None for e in events)


def test_edit_writes_only_what_changed(store, accounts, admin, casey, clock):
    """Saving the edit form with only the role changed records one 'account_role' event; saving it unchanged
    records nothing."""
    actor = admin.as_actor()
    clock.advance(seconds=1)
    accounts.edit(actor, casey.id, "Casey Coach", "America/New_York", "admin", True)
    accounts.edit(actor, casey.id, "Casey Coach", "America/New_York", "admin", True)
    assert [e["action"] for e in audit_of(store, admin, casey)] == ["account_create", "account_role"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda accounts, a, i: save_edit(accounts, a, i, display_name="", zone_name="UTC"),
            "Display name is required.",
        ),
        (
            lambda accounts, a, i: save_edit(accounts, a, i, display_name="C", zone_name="Nowhere/Town"),
            "Unknown time zone 'Nowhere/Town'",
        ),
        (lambda accounts, a, i: save_edit(accounts, a, i, role="root"), "Unknown role 'root'"),
        (lambda accounts, a, i: accounts.edit(a, i, "C", "UTC", "superuser", True), "Unknown role 'superuser'"),
        (lambda accounts, a, i: accounts.set_password(a, i, "short"), "Passwords need at least 10 characters."),
        (lambda accounts, a, i: save_edit(accounts, a, "no-such-id", active=False), "No such account."),
        (lambda accounts, a, i: accounts.set_password(a, "no-such-id", PASSWORD), "No such account."),
    ],
)
def test_bad_changes_are_refused_and_nothing_is_written(store, accounts, admin, casey, change, message):
    """A bad name, zone, role, password or account id is refused with its message; Casey is unchanged."""
    with pytest.raises(UserError, match=message):
        change(accounts, admin.as_actor(), casey.id)
    assert store.accounts.get(casey.id) == casey
    assert [e["action"] for e in audit_of(store, admin, casey)] == ["account_create"]
    assert LocalAuth(store.accounts).login("casey@example.com", PASSWORD) == casey


def test_an_admin_cannot_deactivate_or_demote_themself(store, accounts, admin):
    """Ada cannot switch off her own account or take away her own admin role; other changes to herself work."""
    actor = admin.as_actor()
    with pytest.raises(UserError, match=r"^You cannot deactivate your own account. Ask another admin to do it.$"):
        save_edit(accounts, actor, admin.id, active=False)
    with pytest.raises(UserError, match=r"^You cannot remove your own admin role. Ask another admin to do it.$"):
        save_edit(accounts, actor, admin.id, role="support")
    with pytest.raises(UserError, match=r"You cannot deactivate your own account"):
        accounts.edit(actor, admin.id, "Ada", "UTC", "admin", False)
    with pytest.raises(UserError, match=r"You cannot remove your own admin role"):
        accounts.edit(actor, admin.id, "Ada", "UTC", "coach", True)
    assert store.accounts.get(admin.id) == admin
    assert save_edit(accounts, actor, admin.id, display_name="Ada A.", zone_name="Europe/Rome").display_name == "Ada A."


def test_another_admin_can_be_demoted(store, accounts, admin):
    """Ada can demote and deactivate Bo, another admin."""
    bo = accounts.create(admin.as_actor(), "bo@example.com", "Bo", "UTC", "admin", PASSWORD)
    assert save_edit(accounts, admin.as_actor(), bo.id, role="support").role == "support"
    assert not save_edit(accounts, admin.as_actor(), bo.id, active=False).active


def test_a_deactivated_account_can_no_longer_log_in_until_reactivated(store, accounts, admin, casey):
    """Casey is deactivated: her right password gets the same vague error as a wrong one; reactivated, she logs
    in again."""
    auth = LocalAuth(store.accounts)
    save_edit(accounts, admin.as_actor(), casey.id, active=False)
    with pytest.raises(UserError, match=r"^Wrong email or password.$"):
        auth.login("casey@example.com", PASSWORD)
    save_edit(accounts, admin.as_actor(), casey.id, active=True)
    assert auth.login("casey@example.com", PASSWORD).active


def test_set_password_replaces_the_old_one_and_is_never_audited(store, accounts, admin, casey, clock):
    """Ada sets a new password for Casey: the old one stops working, the new one works, and neither password nor
    hash appears in the audit trail."""
    auth = LocalAuth(store.accounts)
    clock.advance(seconds=1)
    accounts.set_password(admin.as_actor(), casey.id, "a-brand-new-secret")
    with pytest.raises(UserError, match=r"^Wrong email or password.$"):
        auth.login("casey@example.com", PASSWORD)
    assert auth.login("casey@example.com", "a-brand-new-secret").id == casey.id
    events = audit_of(store, admin, casey)
    assert [e["action"] for e in events] == ["account_create", "account_password"]
    assert events[1]["new_values"] == {"password": "changed"}
    assert events[1]["old_values"] is None
    stored_hash = store.accounts.find_by_email("casey@example.com")[1]
    trail = json.dumps(store.audit.list(admin.as_actor()), default=str)
    for secret in (PASSWORD, "a-brand-new-secret", stored_hash, "argon2"):
        assert secret not in trail


@pytest.mark.parametrize("role", ["coach", "support"])
def test_only_an_admin_may_manage_accounts(store, accounts, admin, casey, role):
    """A coach or support user is refused every account action, and nothing changes."""
    other = factories.account(store, f"{role}2@example.com", "Other", role).as_actor()
    calls = [
        lambda: accounts.page(other),
        lambda: accounts.get(other, casey.id),
        lambda: accounts.create(other, "x@example.com", "X", "UTC", "admin", PASSWORD),
        lambda: accounts.edit(other, casey.id, "X", "UTC", "admin", True),
        lambda: save_edit(accounts, other, other.account_id, role="admin"),
        lambda: save_edit(accounts, other, casey.id, display_name="X", zone_name="UTC"),
        lambda: save_edit(accounts, other, casey.id, active=False),
        lambda: accounts.set_password(other, casey.id, "a-brand-new-secret"),
    ]
    for call in calls:
        with pytest.raises(Forbidden, match=r"^(Only an admin can manage accounts|Your role does not allow this)\.$"):
            call()
    assert store.accounts.get(casey.id) == casey
    assert store.accounts.get(other.account_id).role == role
    assert store.accounts.find_by_email("x@example.com") is None


def test_a_coach_with_clients_keeps_the_coach_role(store, accounts):
    """Making a coach with clients into support would orphan the clients: refused with what to do instead."""
    admin = factories.account(store, "root@example.com", "Root", "admin")
    coach = factories.coach(store, "busy@example.com")
    factories.clients(store, coach, [("Ann Apple", "UTC", [])])
    with pytest.raises(UserError, match=r"still has 1 client. Deactivate the account instead"):
        save_edit(accounts, admin.as_actor(), coach.id, role="support")
    assert store.accounts.get(coach.id).role == "coach"
