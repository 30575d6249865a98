"""The Flask webhook QStash calls; `create_app()` builds it, `services.webhook.asgi` serves it under gunicorn."""

from services.webhook.app import create_app

__all__ = ["create_app"]
