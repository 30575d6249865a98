"""The store: SQLAlchemy Core repositories, every read and write scoped to the asking account."""

from services.store.facade import Store

__all__ = ["Store"]
