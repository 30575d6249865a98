"""Hardening, accounts (item 13): sign-in throttling per account and per browser, oversized passwords, and
sessions that end on a password reset or deactivation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.account_admin import AccountService
from services.auth import LocalAuth, hash_password
from services.errors import UserError
from services.sign_in import SignIn
from tests import factories

PASSWORD = "correct-horse-battery"


@pytest.fixture
def sign_in(store, clock):
    """The dashboard's throttled sign-in over local accounts."""
    return SignIn(LocalAuth(store.accounts), store.sign_in_failures, clock)


@pytest.fixture
def casey(store):
    """A coach who can sign in."""
    return factories.account(store, "casey@example.com", "Casey", "coach", password_hash=hash_password(PASSWORD))


def test_13_five_wrong_passwords_lock_the_account_for_a_while(sign_in, casey, clock):
    """After 5 wrong passwords in 15 minutes even the right one is refused, with when to try again; once the
    window has passed it works, and a good sign-in clears the count."""
    for _ in range(5):
        with pytest.raises(UserError, match=r"^Wrong email or password.$"):
            sign_in.login("casey@example.com", "guess", browser="b1")
        clock.advance(minutes=1)
    with pytest.raises(UserError, match=r"Too many failed sign-ins. Try again in 10 minutes"):
        sign_in.login("CASEY@example.com", PASSWORD, browser="b2")  # another browser, the same account
    clock.advance(minutes=11)
    assert sign_in.login("casey@example.com", PASSWORD, browser="b2").id == casey.id
    for _ in range(4):
        with pytest.raises(UserError, match="Wrong email"):
            sign_in.login("casey@example.com", "guess", browser="b3")
    assert sign_in.login("casey@example.com", PASSWORD, browser="b4").id == casey.id  # the count was cleared


def test_13_one_browser_guessing_across_accounts_is_stopped(sign_in, casey, store):
    """Five wrong sign-ins from one browser session, each for another email, lock that browser, not others."""
    for n in range(5):
        with pytest.raises(UserError, match="Wrong email"):
            sign_in.login(f"user{n}@example.com", "guess", browser="attacker")
    with pytest.raises(UserError, match="Too many failed sign-ins"):
        sign_in.login("casey@example.com", PASSWORD, browser="attacker")
    assert sign_in.login("casey@example.com", PASSWORD, browser="someone-else").id == casey.id


def test_13_passwords_over_1024_bytes_are_refused_before_hashing(store, casey, sign_in):
    """Setting a 1,025-byte password is refused with a clear message; signing in with one is a plain failure."""
    admin = factories.account(store, "ada@example.com", "Ada", "admin")
    accounts = AccountService(store)
    with pytest.raises(UserError, match="at most 1024 bytes") as raised:
        accounts.set_password(admin.as_actor(), casey.id, "é" * 513)
    assert raised.value.field == "password"
    with pytest.raises(UserError, match=r"^Wrong email or password.$"):
        sign_in.login("casey@example.com", "x" * 1_000_000)


def test_13_a_password_reset_or_deactivation_ends_open_sessions(store, casey, clock):
    """Casey's session started before an admin reset her password: it has ended. A session started after the
    reset goes on. Deactivation ends sessions too."""
    admin = factories.account(store, "ada@example.com", "Ada", "admin")
    accounts = AccountService(store)
    before = clock()
    assert accounts.current(casey.id, before) is not None
    clock.advance(seconds=1)
    accounts.set_password(admin.as_actor(), casey.id, "a-brand-new-secret")
    assert accounts.current(casey.id, before) is None
    clock.advance(seconds=1)
    after = clock()
    assert accounts.current(casey.id, after).id == casey.id
    clock.advance(seconds=1)
    accounts.edit(admin.as_actor(), casey.id, "Casey", "UTC", "coach", False)
    assert accounts.current(casey.id, after) is None
    assert accounts.current(casey.id, clock() + timedelta(seconds=1)) is None  # inactive: no session at all


def _mode(path) -> int:
    """The permission bits of a path."""
    return path.stat().st_mode & 0o777


def test_14_files_under_data_dir_are_private(tmp_path):
    """The embedded product's data directory is 0700 and every file it writes there is 0600: the SQLite
    database with its WAL and shared-memory files, and the generated secrets."""
    import os

    from services.bootstrap import build_services
    from services.config import load_settings

    os.umask(0o022)  # a usual umask: the product must not rely on a strict one
    data = tmp_path / "data"
    services = build_services(load_settings(data_dir=data))
    factories.coach(services.store)  # a write, so WAL and shared memory exist
    services.store.engine.dispose()
    assert _mode(data) == 0o700
    written = sorted(p.name for p in data.iterdir())
    assert {"scheduler.sqlite3", "secrets.json"} <= set(written)
    assert {p.name: _mode(p) for p in data.iterdir()} == dict.fromkeys(written, 0o600)


def test_22_three_processes_starting_together_share_one_set_of_secrets(tmp_path):
    """Three processes create the embedded secrets on a fresh data directory at the same moment, twenty times:
    none crashes and all three read the same secrets."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = "import json,sys; from pathlib import Path; from services import local_secrets as s; " \
           "print(json.dumps(s.load_or_create(Path(sys.argv[1]))))"  # fmt: skip
    for trial in range(20):
        data = tmp_path / f"d{trial}"
        runs = [
            subprocess.Popen([sys.executable, "-c", code, str(data)], cwd=root, stdout=subprocess.PIPE, text=True)
            for _ in range(3)
        ]
        outputs = [run.communicate(timeout=60)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0, 0]
        assert len({json.dumps(json.loads(o), sort_keys=True) for o in outputs}) == 1
