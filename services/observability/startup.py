"""Logging set up at a process's start from the settings, with every configured secret known to the redaction."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from services.bootstrap import resolved_secrets
from services.config import Settings
from services.observability import logs

_OTHER_SECRETS = ("stream_api_secret", "supabase_anon_key", "supabase_service_role_key", "metrics_token")


def start_logging(settings: Settings) -> None:
    """Configure this process's logs (LOG_FORMAT, LOG_LEVEL, LOG_SQL); call once, from an entry point."""
    logs.configure(settings.log_format, settings.log_level, secrets=secret_values(settings), sql=settings.log_sql)


def secret_values(settings: Settings) -> list[str]:
    """Every secret this install uses: keys (generated ones included), tokens, and database passwords."""
    values = list(resolved_secrets(settings).values())
    values += [secret.get_secret_value() for name in _OTHER_SECRETS if (secret := getattr(settings, name))]
    for url in (settings.database_url, settings.database_migration_url):
        password = make_url(url).password if url else None
        if password:
            values.append(password)
    return values
