"""Stories about the Accounts page: only admins reach it; they list, create and change accounts."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from services.errors import UserError
from tests.ui.conftest import DEMO_PASSWORD, account

NEW_PASSWORD = "nia-secret-2027"


def open_page(as_user, email="admin@example.com"):
    at = as_user(email)
    return at.switch_page("pages/accounts.py").run()


def everything_shown(at) -> str:
    """Every element's full content on the page (labels, values, tables), as one text to search."""

    def walk(node):
        yield str(getattr(node, "proto", ""))
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    return "\n".join(walk(at._tree))


def create(at, email, name, role="coach", password=NEW_PASSWORD, zone=None):
    """Fill the Create account form and submit it."""
    at.text_input(key="accounts_add_email").input(email)
    at.text_input(key="accounts_add_name").input(name)
    if zone is not None:
        at.selectbox(key="accounts_add_zone").set_value(zone)
    at.selectbox(key="accounts_add_role").set_value(role)
    at.text_input(key="accounts_add_password").input(password)
    [button] = [b for b in at.button if b.label == "Create account"]
    return button.click().run()


def edit(at, account_id, **values):
    """Open an account in the edit form, change the given fields and save."""
    at.selectbox(key="accounts_selected").set_value(account_id).run()
    for name, value in values.items():
        widget = {"name": at.text_input, "zone": at.selectbox, "role": at.selectbox, "active": at.toggle}[name](
            key=f"accounts_edit_{name}"
        )
        widget.set_value(value)
    [button] = [b for b in at.button if b.label == "Save account"]
    return button.click().run()


def test_admin_sees_accounts_with_filters_paging_and_csv(as_user):
    """Ada the admin opens Accounts from her navigation: the four demo accounts with email, name, role, zone and
    active; she narrows them by role and by a piece of a name, and can download the list as CSV."""
    at = as_user("admin@example.com")
    assert not at.switch_page("pages/accounts.py").run().exception
    assert at.title[0].value == "Accounts"
    table = at.dataframe[0].value
    assert list(table.columns) == ["Email", "Name", "Role", "Time zone", "Active"]
    assert set(table["Email"]) == {
        "coach@example.com",
        "morgan@example.com",
        "support@example.com",
        "admin@example.com",
    }
    at.selectbox(key="accounts_role").set_value("coach").run()
    assert set(at.dataframe[0].value["Role"]) == {"coach"}
    at.text_input(key="accounts_search").input("morgan").run()
    assert list(at.dataframe[0].value["Email"]) == ["morgan@example.com"]
    assert any("Showing 1–1 of 1" in c.value for c in at.caption)
    [download] = at.get("download_button")
    assert download.proto.label == "Download CSV"


def test_admin_creates_a_coach_who_can_then_log_in(as_user, seeded):
    """Ada creates Nia, a coach in Berlin, with an initial password: the page says so, Nia is in the table, and
    Nia can log in with that password. The password is not on the page and not in the audit trail."""
    at = create(open_page(as_user), "Nia@Example.com", "Nia New", zone="Europe/Berlin")
    assert not at.error
    assert not at.exception
    assert at.success[0].value == "Created nia@example.com (coach)."
    assert "nia@example.com" in set(at.dataframe[0].value["Email"])
    nia = seeded.auth.login("nia@example.com", NEW_PASSWORD)
    assert (nia.display_name, nia.timezone, nia.role, nia.active) == ("Nia New", "Europe/Berlin", "coach", True)
    assert at.text_input(key="accounts_add_password").value == ""  # a fresh form, the password gone
    shown = everything_shown(at)
    assert "nia@example.com" in shown
    assert NEW_PASSWORD not in shown
    trail = json.dumps(seeded.store.audit.list(account(seeded, "admin@example.com").as_actor()), default=str)
    assert "account_create" in trail
    assert NEW_PASSWORD not in trail
    assert seeded.store.accounts.find_by_email("nia@example.com")[1] not in trail


@pytest.mark.parametrize(
    ("email", "name", "password", "expected"),
    [
        ("nia.example.com", "Nia", NEW_PASSWORD, "Enter a valid email address"),
        ("coach@example.com", "Nia", NEW_PASSWORD, "An account with email coach@example.com already exists."),
        ("nia@example.com", " ", NEW_PASSWORD, "Display name is required."),
        ("nia@example.com", "Nia", "short-pw", "Passwords need at least 10 characters."),
    ],
)
def test_bad_input_on_create_shows_its_message_and_writes_nothing(as_user, seeded, email, name, password, expected):
    """Each bad value in the Create account form is named on the page and no account is added."""
    before = seeded.store.accounts.count()
    at = create(open_page(as_user), email, name, password=password)
    assert any(expected in e.value for e in at.error), [e.value for e in at.error]
    assert not at.success
    assert seeded.store.accounts.count() == before


def test_admin_changes_role_and_deactivates_a_user_who_then_cannot_log_in(as_user, seeded):
    """Ada makes Sky (support) an admin, then deactivates her: the table shows it and Sky's password no longer
    logs her in."""
    sky = account(seeded, "support@example.com")
    at = edit(open_page(as_user), sky.id, role="admin")
    assert at.success[0].value == "Saved support@example.com."
    assert account(seeded, "support@example.com").role == "admin"
    at = edit(at, sky.id, active=False)
    row = at.dataframe[0].value.set_index("Email").loc["support@example.com"]
    assert (row["Role"], row["Active"]) == ("admin", False)
    with pytest.raises(UserError, match=r"Wrong email or password."):
        seeded.auth.login("support@example.com", DEMO_PASSWORD)


def test_a_coach_with_clients_cannot_be_made_support(as_user, seeded):
    """Ada tries to make Morgan support staff while Morgan has clients: the page says why and nothing changes."""
    morgan = account(seeded, "morgan@example.com")
    at = edit(open_page(as_user), morgan.id, role="support")
    assert any("still has 12 clients" in e.value for e in at.error)
    assert account(seeded, "morgan@example.com").role == "coach"


def test_admin_sets_a_new_password(as_user, seeded):
    """Ada sets a new password for Casey: Casey logs in with it, the field is emptied and it is not shown."""
    casey = account(seeded, "coach@example.com")
    at = open_page(as_user)
    at.selectbox(key="accounts_selected").set_value(casey.id).run()
    at.text_input(key="accounts_password").input(NEW_PASSWORD)
    [button] = [b for b in at.button if b.label == "Set password"]
    at = button.click().run()
    assert at.success[0].value == "New password set for coach@example.com."
    assert seeded.auth.login("coach@example.com", NEW_PASSWORD).id == casey.id
    assert at.text_input(key="accounts_password").value == ""
    assert NEW_PASSWORD not in everything_shown(at)


def test_admin_cannot_deactivate_or_demote_themself(as_user, seeded):
    """Ada opens her own account and switches it off: the page says she cannot, and she stays an active admin;
    the same for taking away her own admin role."""
    ada = account(seeded, "admin@example.com")
    at = edit(open_page(as_user), ada.id, active=False)
    assert any("You cannot deactivate your own account" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.success
    at = edit(at, ada.id, role="coach", active=True)
    assert any("You cannot remove your own admin role" in e.value for e in at.error), [e.value for e in at.error]
    assert account(seeded, "admin@example.com") == ada


@pytest.mark.parametrize("email", ["coach@example.com", "support@example.com"])
def test_coach_and_support_do_not_get_the_accounts_page(as_user, seeded, email):
    """Casey (coach) and Sky (support) have no Accounts page in their navigation; opening the page file directly
    still refuses them and shows no accounts."""
    at = as_user(email)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/accounts.py")
    direct = AppTest.from_file("../../pages/accounts.py", default_timeout=30)
    direct.session_state["services"] = seeded
    direct.session_state["account"] = account(seeded, email)
    direct.run()
    assert not direct.exception
    assert [e.value for e in direct.error] == ["Only an admin can manage accounts."]
    assert not direct.dataframe
    assert "admin@example.com" not in everything_shown(direct)
