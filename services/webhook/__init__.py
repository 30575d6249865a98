"""The Flask webhook QStash calls; `create_app()` is the factory gunicorn serves."""

from services.webhook.app import create_app

__all__ = ["create_app"]
