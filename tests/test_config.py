"""Configuration: embedded defaults, generated secrets kept private, half-configured production refused."""

import os
import stat
from datetime import timedelta

import pytest
from pydantic import ValidationError

from services import config, local_secrets

PRODUCTION_VARS = [
    "QSTASH_TOKEN",
    "QSTASH_CURRENT_SIGNING_KEY",
    "QSTASH_NEXT_SIGNING_KEY",
    "NEXT_PUBLIC_APP_URL",
    "WEBHOOK_PUBLIC_URL",
    "STREAM_API_KEY",
    "STREAM_API_SECRET",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "DATABASE_URL",
    "DATABASE_MIGRATION_URL",
    "DATABASE_POOLER",
    "QSTASH_URL",
    "SCHEDULER_API_KEY",
    "WEBHOOK_AUTH",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No production variables and no .env leak in from the machine."""
    for name in PRODUCTION_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_unset_means_embedded():
    """With nothing set every backend is the embedded one."""
    settings = config.load_settings()
    assert settings.embedded_database
    assert settings.embedded_qstash
    assert settings.embedded_chat
    assert not settings.supabase_auth


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"QSTASH_TOKEN": "t"}, "QSTASH_CURRENT_SIGNING_KEY"),
        (
            {"QSTASH_TOKEN": "t", "QSTASH_CURRENT_SIGNING_KEY": "a", "QSTASH_NEXT_SIGNING_KEY": "b"},
            "NEXT_PUBLIC_APP_URL",
        ),
        ({"STREAM_API_KEY": "k"}, "STREAM_API_SECRET"),
        ({"STREAM_API_SECRET": "s"}, "STREAM_API_KEY"),
        ({"SUPABASE_URL": "https://x.supabase.co"}, "SUPABASE_ANON_KEY"),
        ({"QSTASH_URL": "https://qstash.example.com"}, "QSTASH_TOKEN"),
        ({"DATABASE_MIGRATION_URL": "postgresql://u:pw@db.example.com:5432/postgres"}, "DATABASE_URL"),
    ],
)
def test_half_configured_production_names_the_missing_variable(monkeypatch, env, missing):
    """A partial production setting stops start-up and says which variable is missing, never its value."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError) as error:
        config.load_settings()
    assert missing in str(error.value)
    assert all(value not in str(error.value) for value in env.values() if len(value) > 1)


def test_hosted_qstash_requires_signatures(monkeypatch):
    """Bearer-only webhook auth is refused when QStash is the hosted service."""
    for name, value in {
        "QSTASH_TOKEN": "t",
        "QSTASH_CURRENT_SIGNING_KEY": "a",
        "QSTASH_NEXT_SIGNING_KEY": "b",
        "NEXT_PUBLIC_APP_URL": "https://app.example.com",
        "WEBHOOK_AUTH": "bearer",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(config.ConfigError, match="signature is required"):
        config.load_settings()


def test_alias_for_the_public_url(monkeypatch):
    """WEBHOOK_PUBLIC_URL is accepted as a clearer name for NEXT_PUBLIC_APP_URL."""
    monkeypatch.setenv("WEBHOOK_PUBLIC_URL", "https://hooks.example.com")
    assert config.load_settings().public_app_url == "https://hooks.example.com"


def test_embedded_secrets_are_generated_once_and_private(tmp_path):
    """The first start writes data/secrets.json readable by its owner only; later starts reuse it."""
    first = local_secrets.load_or_create(tmp_path / "data")
    second = local_secrets.load_or_create(tmp_path / "data")
    assert first == second
    assert set(first) == set(local_secrets.SECRET_NAMES)
    mode = stat.S_IMODE(os.stat(tmp_path / "data" / "secrets.json").st_mode)
    assert mode == 0o600


def test_secrets_do_not_show_in_settings_repr(monkeypatch):
    """Printing settings shows no secret values."""
    monkeypatch.setenv("STREAM_API_KEY", "key")
    monkeypatch.setenv("STREAM_API_SECRET", "very-secret-value")
    assert "very-secret-value" not in repr(config.load_settings())


@pytest.mark.parametrize(
    ("idle", "max_age", "expected"),
    [
        (None, None, (timedelta(hours=12), timedelta(days=7))),
        ("PT30M", "P1D", (timedelta(minutes=30), timedelta(days=1))),
        ("4", "3600.5", (timedelta(seconds=4), timedelta(seconds=3600.5))),
    ],
)
def test_session_limits(monkeypatch, idle, max_age, expected):
    """Session limits default to 12 hours idle and 7 days in all; ISO 8601 durations or plain seconds."""
    for name, value in (("SESSION_IDLE_TIMEOUT", idle), ("SESSION_MAX_AGE", max_age)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    settings = config.load_settings()
    assert (settings.session_idle_timeout, settings.session_max_age) == expected


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_a_session_limit_must_be_a_positive_duration(monkeypatch, value):
    """A zero, negative or unreadable idle limit is refused at start-up, naming the setting."""
    monkeypatch.setenv("SESSION_IDLE_TIMEOUT", value)
    with pytest.raises(ValidationError, match="session_idle_timeout"):
        config.load_settings()
