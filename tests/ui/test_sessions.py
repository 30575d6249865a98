"""Stories about the dashboard's server-side session: sign-in starts one and hands the browser its token, deep
links survive the login form, sign-out and sign-outs elsewhere end it. (Reloads and new tabs need a real browser:
tests/browser/test_sessions.py.)"""

from __future__ import annotations

import pytest

from services.web_sessions import token_hash
from tests.ui.conftest import DEMO_PASSWORD
from ui.session_cookie import COOKIE_NAME, cookie_text


def log_in(at, email="coach@example.com"):
    """Fill and submit the login form on whatever page shows it."""
    at.text_input(key="login_email").input(email)
    at.text_input(key="login_password").input(DEMO_PASSWORD)
    at.button[0].click()
    return at.run()


def cookie_scripts(at) -> list[str]:
    """The cookie-writing scripts this run put in the page."""
    return [h.proto.body for h in at.get("html") if "document.cookie" in h.proto.body]


def test_signing_in_starts_a_server_session_and_hands_the_browser_its_token(app, seeded):
    """Casey signs in: a session is stored under the SHA-256 of a token, and the page writes that token into a
    SameSite=Strict cookie for a week; nothing else about the session reaches the page."""
    log_in(app.run())
    token = app.session_state["session_token"]
    assert seeded.store.web_sessions.get(token_hash(token)).account_id == app.session_state["account"].id
    [script] = cookie_scripts(app)
    assert f"{COOKIE_NAME}={token}; Path=/; Max-Age=" in script
    assert 604_800 - 60 < int(script.split("Max-Age=")[1].split(";")[0]) <= 604_800  # until the absolute limit
    assert script.endswith('; SameSite=Strict";</script>')
    assert "Secure" not in script  # AppTest is no https page


def test_a_deep_link_shows_the_login_form_then_the_page_asked_for(app):
    """Logged out, Casey opens the Delivery Log's link: the login form shows there (no page content, no error), and
    signing in shows the Delivery Log itself."""
    app.run().switch_page("pages/delivery_log.py").run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Coach Message Scheduler"]
    log_in(app)
    assert not app.exception
    assert app.title[0].value == "Delivery Log"


def test_a_deep_link_to_an_admin_page_signs_the_admin_in_there(app):
    """Logged out, Ada opens the Accounts link (admins only, so no other role's menu has it): after signing in she
    is on Accounts."""
    app.run().switch_page("pages/accounts.py").run()
    assert app.text_input(key="login_email") is not None
    log_in(app, "admin@example.com")
    assert not app.exception
    assert app.title[0].value == "Accounts"


def test_a_deep_link_to_a_page_the_role_lacks_lands_on_the_roles_first_page(app):
    """Logged out, Casey opens the QStash health link (support only): after signing in she is on her first page,
    the Message Scheduler, and sees nothing of QStash health."""
    app.run().switch_page("pages/qstash.py").run()
    log_in(app)
    assert not app.exception
    assert app.title[0].value == "Message Scheduler"


def test_log_out_ends_the_server_session_and_clears_the_cookie(as_user, seeded):
    """Casey presses Log out: her token resumes nothing any more, and the login form arrives without the token
    (the browser keeps the cookie only until the page clears it)."""
    at = as_user()
    token = at.session_state["session_token"]
    at.sidebar.button(key="sidebar_logout").click().run()
    assert seeded.web_sessions.resume(token) is None
    assert "session_token" not in at.session_state
    assert at.text_input(key="login_email") is not None
    assert token not in " ".join(cookie_scripts(at))


def test_a_sign_out_in_another_tab_ends_this_one_on_its_next_click(as_user, seeded):
    """Casey signs out in another tab (same session token): this tab shows the login form on its next run."""
    at = as_user()
    assert at.title[0].value == "Message Scheduler"
    seeded.web_sessions.end(at.session_state["session_token"])
    at.run()
    assert "account" not in at.session_state
    assert at.text_input(key="login_email") is not None


@pytest.mark.parametrize(("secure", "tail"), [(False, "SameSite=Strict"), (True, "SameSite=Strict; Secure")])
def test_the_cookie_text(secure, tail):
    """The cookie: the token only, for the whole site, same-site requests only, Secure on https."""
    assert cookie_text("tok", 60, secure) == f"{COOKIE_NAME}=tok; Path=/; Max-Age=60; {tail}"
    assert cookie_text("", -5, secure) == f"{COOKIE_NAME}=; Path=/; Max-Age=0; {tail}"


@pytest.mark.parametrize(
    ("page_url", "setting", "secure"),
    [
        ("https://dash.example.com/", "auto", True),
        ("http://127.0.0.1:8501/", "auto", False),
        ("http://127.0.0.1:8501/", "always", True),
    ],
)
def test_the_cookie_is_secure_on_https_pages(app, seeded, page_url, setting, secure):
    """Behind HTTPS the cookie gets Secure (the browser then never sends it over plain http); with
    SESSION_COOKIE_SECURE=always it gets it on any page."""
    seeded.settings = seeded.settings.model_copy(update={"session_cookie_secure": setting})
    app.context = {"url": page_url}
    log_in(app.run())
    [script] = cookie_scripts(app)
    assert script.endswith('; SameSite=Strict; Secure";</script>' if secure else '; SameSite=Strict";</script>')
