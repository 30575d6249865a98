"""Administrative commands: create-user for a production install, demo seeding for embedded mode."""

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from qstash import QStash

from services.bootstrap import build_services
from services.config import load_settings
from services.demo_seed import seed
from services.errors import UserError

ROOT = Path(__file__).resolve().parents[1]


def _run(args, data_dir, stdin="", **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    environment.update(DATA_DIR=str(data_dir), **env)
    return subprocess.run(
        [sys.executable, "-m", "services", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=environment,
        timeout=120,
    )


def test_create_user_takes_the_password_from_stdin_and_can_log_in(tmp_path):
    """The first admin of an install: password from stdin, never echoed; the account can log in."""
    result = _run(
        ["create-user", "--email", "Boss@Example.com", "--role", "admin"], tmp_path, stdin="correct horse battery\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Created admin boss@example.com."
    assert "correct horse" not in result.stdout + result.stderr
    services = build_services(load_settings(data_dir=tmp_path))
    assert services.auth.login("boss@example.com", "correct horse battery").role == "admin"
    with pytest.raises(UserError, match=r"Wrong email or password."):
        services.auth.login("boss@example.com", "wrong password!")


def test_create_user_refuses_short_passwords(tmp_path):
    """A short password is refused with the rule, and no account is made."""
    result = _run(["create-user", "--email", "a@example.com"], tmp_path, stdin="short\n")
    assert result.returncode == 1
    assert "at least 10 characters" in result.stderr


def test_half_configured_settings_stop_the_command(tmp_path):
    """A token without signing keys is a start-up error that names the variable."""
    result = _run(["check-config"], tmp_path, QSTASH_TOKEN="abc")
    assert result.returncode == 2
    assert "QSTASH_CURRENT_SIGNING_KEY is missing" in result.stderr
    assert "abc" not in result.stderr


def test_demo_seed_is_complete_and_runs_once(tmp_path):
    """Two coaches, 25 clients in at least 4 zones with tags, a few schedules; seeding twice changes nothing."""
    # Nothing listens on port 1; a client without retries gets that answer at once for each of the six schedules.
    unreachable = QStash("token", base_url="http://127.0.0.1:1", retry=False)
    services = build_services(load_settings(data_dir=tmp_path, local_qstash_port=1), qstash_client=unreachable)
    assert seed(services) is True  # QStash is not running: schedules are stored in 'error' with the reason
    from services.domain import Actor

    staff = Actor("x", "support")
    clients = services.store.clients.list(staff, limit=500)
    assert len(services.store.accounts.coaches(staff)) == 2
    assert len(clients) == 25
    assert len({c.timezone for c in clients}) >= 4
    assert services.store.clients.tags(staff)
    rows, total = services.store.messages.list(staff)
    assert total == 6
    assert all(r["last_error"] for r in rows if r["status"] == "error")
    assert seed(services) is False
    assert services.store.messages.list(staff)[1] == 6
    assert len(services.store.clients.list(staff, limit=500)) == 25


def test_demo_seed_never_touches_database_url(tmp_path, monkeypatch):
    """With DATABASE_URL set the seed refuses."""
    embedded = build_services(load_settings(data_dir=tmp_path))
    services = replace(embedded, settings=load_settings(data_dir=tmp_path, database_url="postgresql://example/db"))
    with pytest.raises(UserError, match=r"never into DATABASE_URL"):
        seed(services)


def test_show_demo_keys_prints_the_key_and_a_coach_id_for_the_guide(tmp_path):
    """Following the README, a developer runs `python -m services show-demo-keys` after seeding: it prints
    `export KEY=…` (the webhook's bearer key) and `export COACH_ID=…` (Casey's id), ready to eval."""
    services = build_services(
        load_settings(data_dir=tmp_path), qstash_client=QStash("t", base_url="http://127.0.0.1:1", retry=False)
    )
    seed(services)
    result = _run(["show-demo-keys"], tmp_path)
    assert result.returncode == 0, result.stderr
    from services import local_secrets

    key = local_secrets.load_or_create(tmp_path)["scheduler_api_key"]
    casey = services.store.accounts.find_by_email("coach@example.com")[0]
    assert f"export KEY={key}" in result.stdout
    assert f"export COACH_ID={casey.id}  # coach@example.com (Casey Coach)" in result.stdout


def test_show_demo_keys_refuses_outside_the_offline_demo(tmp_path):
    """With a production database or a configured key, it prints nothing secret and says why."""
    production = _run(["show-demo-keys"], tmp_path, DATABASE_URL="postgresql://db.example/x")
    assert production.returncode == 1
    assert "offline demo only" in production.stderr
    assert production.stdout == ""
    keyed = _run(["show-demo-keys"], tmp_path, SCHEDULER_API_KEY="prod-secret-key")
    assert keyed.returncode == 1
    assert "prod-secret-key" not in keyed.stdout + keyed.stderr
