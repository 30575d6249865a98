"""Stories about logging in and the navigation each role gets."""

import pytest

from tests.ui.conftest import DEMO_PASSWORD


def log_in(app, email, password):
    app.run()
    app.text_input(key="login_email").input(email)
    app.text_input(key="login_password").input(password)
    app.button[0].click()  # the form's "Log in" submit button
    return app.run()


def test_wrong_password_says_so_without_details(app):
    """A coach mistypes the password: the login page says 'Wrong email or password.' and stays logged out."""
    log_in(app, "coach@example.com", "not-the-password")
    assert [e.value for e in app.error] == ["Wrong email or password."]
    assert "account" not in app.session_state
    assert not app.exception


def test_unknown_email_gets_the_same_message(app):
    """Someone tries an email that has no account: the same vague message, so emails cannot be probed."""
    log_in(app, "nobody@example.com", DEMO_PASSWORD)
    assert [e.value for e in app.error] == ["Wrong email or password."]


def test_coach_logs_in_and_sees_the_coach_pages(app):
    """Casey logs in and lands on the Message Scheduler, with her name, role and log-out in the sidebar."""
    log_in(app, "Coach@Example.com", DEMO_PASSWORD)
    assert not app.error
    assert not app.exception
    assert app.session_state["account"].email == "coach@example.com"
    assert app.title[0].value == "Message Scheduler"
    sidebar = " ".join(m.value for m in app.sidebar.markdown)
    assert "Casey Coach" in sidebar
    assert any("Role: coach" in c.value for c in app.sidebar.caption)
    for page in ("pages/schedules.py", "pages/delivery_log.py", "pages/inbox.py"):
        assert not app.switch_page(page).run().exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("pages/qstash.py")  # not in a coach's navigation


def test_support_gets_the_support_pages(as_user):
    """Sky from support opens the app: Schedules first, plus QStash health; no Message Scheduler."""
    at = as_user("support@example.com")
    assert at.title[0].value == "Schedules"
    assert not at.switch_page("pages/qstash.py").run().exception
    assert at.title[0].value == "QStash health"
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/message_scheduler.py")  # not in support's navigation


def test_log_out_returns_to_the_login_form(as_user):
    """Casey presses Log out: the login form is back and the account is forgotten."""
    at = as_user()
    at.sidebar.button(key="sidebar_logout").click().run()
    assert "account" not in at.session_state
    assert at.text_input(key="login_email") is not None
    assert at.session_state["services"] is not None


def test_sidebar_names_backends_but_never_secrets(as_user, seeded):
    """The sidebar says which backends are used (embedded here) and shows no token or key."""
    at = as_user()
    text = " ".join(m.value for m in at.sidebar.markdown) + " ".join(e.label for e in at.sidebar.expander)
    assert "embedded" in text
    assert "local QStash server" in text
    assert "local inbox" in text
    from services.bootstrap import resolved_secrets

    for secret in resolved_secrets(seeded.settings).values():
        assert secret not in text


def test_a_deactivated_user_is_logged_out_on_their_next_click(as_user, seeded):
    """An admin deactivates Casey while she is logged in: her next interaction lands on the login form."""
    at = as_user()
    assert at.title[0].value == "Message Scheduler"
    casey = seeded.store.accounts.find_by_email("coach@example.com")[0]
    admin = seeded.store.accounts.find_by_email("admin@example.com")[0]
    seeded.store.accounts.update(admin.as_actor(), casey.id, active=False)
    at.run()
    assert "account" not in at.session_state
    assert at.text_input(key="login_email") is not None
