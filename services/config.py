"""Settings from environment and `.env`, and the choice of each backend (DESIGN §7)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigError(RuntimeError):
    """A setting is missing or inconsistent; the message names the variable, never its value."""


class Settings(BaseSettings):
    """Every knob of the product; unset production settings mean the embedded default."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = None
    # Migrations go through the direct connection (Supabase: db.<ref>.supabase.co:5432, or the session pooler),
    # the app through the transaction pooler (port 6543). Unset: migrations use DATABASE_URL.
    database_migration_url: str | None = None
    # Is DATABASE_URL a transaction pooler? auto: yes on port 6543. Then no prepared statements, no session state.
    database_pooler: Literal["auto", "true", "false"] = "auto"
    data_dir: Path = Path("data")

    qstash_token: SecretStr | None = None
    qstash_url: str | None = None
    qstash_current_signing_key: SecretStr | None = None
    qstash_next_signing_key: SecretStr | None = None
    scheduler_api_key: SecretStr | None = None
    # NEXT_PUBLIC_APP_URL is the original name; WEBHOOK_PUBLIC_URL is the clearer alias.
    public_app_url: str | None = Field(
        default=None, validation_alias=AliasChoices("WEBHOOK_PUBLIC_URL", "NEXT_PUBLIC_APP_URL")
    )
    # Behind a proxy the URL QStash signed may differ from the one Flask sees; this is what we check.
    webhook_auth: Literal["signature", "bearer", "either", "both"] | None = None

    supabase_url: str | None = None
    supabase_anon_key: SecretStr | None = None
    supabase_service_role_key: SecretStr | None = None

    stream_api_key: str | None = None
    stream_api_secret: SecretStr | None = None
    stream_chat_url: str | None = None

    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8000
    local_qstash_port: int = 8080
    chat_sends_per_minute: int = 1000
    fanout_concurrency: int = 16
    # Audiences larger than this are split into chunks of fanout_chunk_size, each its own QStash delivery
    # (0 = always inline), so no request carries more work than fits inside QStash's timeout.
    fanout_inline_max: int = Field(default=1000, ge=0)
    fanout_chunk_size: int = Field(default=500, gt=0, le=1000)
    claim_lease_seconds: float = 60.0
    # The fan-out stops starting sends after this long and answers 503, so it never outlasts QStash's request
    # timeout (a request still running when QStash times out is retried while it sends).
    fanout_deadline_seconds: float = Field(default=20.0, gt=0)
    max_webhook_body_bytes: int = 16_384
    # A recurring rule that sends more often than this needs the coach's explicit confirmation.
    min_send_interval_minutes: int = 60
    # A new message to more clients than this (or a new rule sending more than once a day) is confirmed first.
    confirm_recipients_above: int = Field(default=50, ge=0)
    # A client's message counts as a reply to the latest check-in they got at most this long before it.
    reply_window_hours: float = Field(default=48.0, gt=0)
    webhook_threads: int = Field(default=8, gt=0)  # per gunicorn worker: requests the Flask app runs at once
    # Logs: readable text for `make run`, JSON lines in production (LOG_FORMAT=json); SQL statements only on
    # request (LOG_SQL=true, at INFO, parameters hidden). /metrics needs `Bearer METRICS_TOKEN` when it is set,
    # else it answers only clients on this machine.
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_sql: bool = False
    metrics_token: SecretStr | None = None
    # Dashboard sessions (services.web_sessions): seconds or ISO 8601 (PT12H). Idle = since the last activity;
    # max age = since sign-in, whatever the activity. Secure cookie: auto = when the page is served over HTTPS.
    session_idle_timeout: timedelta = Field(default=timedelta(hours=12), gt=timedelta(0))
    session_max_age: timedelta = Field(default=timedelta(days=7), gt=timedelta(0))
    session_cookie_secure: Literal["auto", "always"] = "auto"

    # Alerts (checked every minute by a QStash schedule against /api/alerts/check). The webhook URL is a secret:
    # Slack's incoming-webhook URLs carry their token.
    alert_webhook_url: SecretStr | None = None
    alert_window_minutes: int = Field(default=15, ge=1)  # failure rate and lateness look this far back
    alert_failure_rate: float = Field(default=0.2, gt=0, le=1)  # failed / (sent + failed) above this alerts
    alert_min_deliveries: int = Field(default=10, ge=1)  # fewer outcomes in the window are too few to judge
    alert_lateness_p95_seconds: float = Field(default=120.0, gt=0)  # scheduled time → sent, 95th percentile
    alert_unreachable_grace_minutes: int = Field(default=5, ge=1)  # a firing this late with no run: unreachable
    alert_check_cron: str = "* * * * *"

    @field_validator("database_pooler", "log_format", mode="before")
    @classmethod
    def _lower(cls, value):
        """DATABASE_POOLER=True works as well as true (LOG_FORMAT=JSON as json)."""
        return value.lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        """LOG_LEVEL=debug works as well as DEBUG."""
        return value.upper() if isinstance(value, str) else value

    @field_validator("session_idle_timeout", "session_max_age", mode="before")
    @classmethod
    def _seconds(cls, value):
        """A bare number is seconds (pydantic reads only ISO 8601 or [-][DD]D[,][HH:MM:]SS[.ffffff] from text)."""
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value

    @property
    def embedded_database(self) -> bool:
        """True when no DATABASE_URL is set and SQLite under data/ is used."""
        return not self.database_url

    @property
    def embedded_qstash(self) -> bool:
        """True when QStash is the local server (no QSTASH_TOKEN given)."""
        return self.qstash_token is None

    @property
    def embedded_chat(self) -> bool:
        """True when the local inbox stands in for Stream Chat."""
        return not self.stream_api_key

    @property
    def supabase_auth(self) -> bool:
        """True when logins go through Supabase Auth."""
        return bool(self.supabase_url)


def _missing(settings: Settings, names: list[str]) -> list[str]:
    """The upper-case names of the given fields that are unset."""
    env_names = {"public_app_url": "NEXT_PUBLIC_APP_URL (or WEBHOOK_PUBLIC_URL)"}
    return [env_names.get(name, name.upper()) for name in names if not getattr(settings, name)]


def validate(settings: Settings) -> Settings:
    """Refuse half-configured production settings, naming the first missing variable."""
    groups = {
        "database_migration_url": ["database_url"],
        "qstash_token": ["qstash_current_signing_key", "qstash_next_signing_key", "public_app_url"],
        "stream_api_key": ["stream_api_secret"],
        "stream_api_secret": ["stream_api_key"],
        "supabase_url": ["supabase_anon_key"],
        "supabase_anon_key": ["supabase_url"],
    }
    for trigger, needed in groups.items():
        if getattr(settings, trigger):
            missing = _missing(settings, needed)
            if missing:
                raise ConfigError(f"{trigger.upper()} is set but {missing[0]} is missing")
    if settings.supabase_url and not settings.supabase_url.startswith(("https://", "http://")):
        raise ConfigError("SUPABASE_URL must be the project URL, like https://<project-ref>.supabase.co")
    if settings.qstash_url and not settings.qstash_token and not _is_loopback(settings.qstash_url):
        raise ConfigError("QSTASH_URL points to a remote server but QSTASH_TOKEN is missing")
    if not settings.embedded_qstash and settings.webhook_auth == "bearer":
        raise ConfigError("WEBHOOK_AUTH=bearer is not allowed with hosted QStash: the signature is required")
    return settings


def _is_loopback(url: str) -> bool:
    """True for URLs on this machine (the embedded QStash server)."""
    return any(host in url for host in ("://127.", "://localhost", "://[::1]"))


def load_settings(**overrides) -> Settings:
    """Read and validate settings; keyword overrides win over the environment (used by tests)."""
    return validate(Settings(**overrides))
