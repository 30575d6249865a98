"""Stories: repeated wrong passwords on the sign-in page, and a session that ends when an admin resets the
password (hardening item 13)."""

from tests.ui.conftest import DEMO_PASSWORD, account
from tests.ui.test_login import log_in


def test_the_sixth_try_after_five_wrong_passwords_is_refused_with_a_wait(app):
    """Someone guesses Casey's password five times: the sixth attempt, even with the right password, says to
    wait, and nobody is signed in."""
    for _ in range(5):
        log_in(app, "coach@example.com", "not-the-password")
        assert [e.value for e in app.error] == ["Wrong email or password."]
    log_in(app, "coach@example.com", DEMO_PASSWORD)
    assert "Too many failed sign-ins. Try again in 15 minutes" in app.error[0].value
    assert "account" not in app.session_state


def test_an_admin_password_reset_signs_the_user_out(as_user, seeded):
    """Casey is working when Ada resets her password: Casey's next click shows the sign-in page."""
    at = as_user("coach@example.com")
    assert at.title[0].value == "Message Scheduler"
    ada = account(seeded, "admin@example.com")
    seeded.accounts.set_password(ada.as_actor(), account(seeded, "coach@example.com").id, "a-brand-new-secret")
    at.run()
    assert at.title[0].value == "Coach Message Scheduler"  # the sign-in page
    assert "account" not in at.session_state
