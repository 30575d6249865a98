"""Development server for the webhook: `python -m services.webhook` (production uses gunicorn)."""

from __future__ import annotations

import logging

from werkzeug.serving import run_simple

from services.bootstrap import build_services
from services.webhook.app import create_app


def main() -> None:
    """Serve on WEBHOOK_HOST:WEBHOOK_PORT with threads."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    services = build_services()
    run_simple(
        services.settings.webhook_host,
        services.settings.webhook_port,
        create_app(services),
        threaded=True,
        use_reloader=False,
    )


if __name__ == "__main__":
    main()
