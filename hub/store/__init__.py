"""The metadata store: SQLAlchemy models and the engine/session helpers."""

from hub.store.db import Store, open_store

__all__ = ["Store", "open_store"]
