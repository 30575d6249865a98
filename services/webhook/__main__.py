"""Development server for the webhook: `python -m services.webhook` (production uses gunicorn)."""

from __future__ import annotations

from werkzeug.serving import run_simple

from services.bootstrap import build_services
from services.config import load_settings
from services.observability.startup import start_logging
from services.webhook.app import create_app


def main() -> None:
    """Serve on WEBHOOK_HOST:WEBHOOK_PORT with threads."""
    settings = load_settings()
    start_logging(settings)
    services = build_services(settings)
    run_simple(
        services.settings.webhook_host,
        services.settings.webhook_port,
        create_app(services),
        threaded=True,
        use_reloader=False,
    )


if __name__ == "__main__":
    main()
