"""Stories about the sign-in page in the offline demo and elsewhere."""

from services.bootstrap import build_services
from services.sign_in import SignIn


def test_offline_demo_lists_its_logins_and_lets_password_managers_fill(app):
    """A first visitor of the offline demo sees which logins exist (all four, with the demo password) right on
    the sign-in page; the password field says it is the current password, so a password manager can fill it."""
    at = app.run()
    listed = " ".join(m.value for m in at.markdown)
    for email in ("coach@example.com", "morgan@example.com", "support@example.com", "admin@example.com"):
        assert f"`{email}` / `demo-password`" in listed
    assert at.text_input(key="login_password").proto.autocomplete == "current-password"
    assert at.text_input(key="login_email").proto.autocomplete == "email"


def test_no_demo_logins_outside_the_embedded_demo(app, seeded):
    """With a production database or Supabase sign-in, the sign-in page lists no logins at all."""
    seeded.auth = SignIn(seeded.auth.backend, seeded.auth.failures, seeded.auth.clock)  # as bootstrap builds it there
    at = app.run()
    assert not [m for m in at.markdown if "demo-password" in m.value]
    production = seeded.settings.model_copy(update={"database_url": "postgresql://db.example/x"})
    built = build_services(production, engine=seeded.store.engine, migrate=False)
    assert built.auth.demo_logins() == []
    assert seeded.auth.demo_logins() == []
