"""Schema migrations (placeholder until the Alembic environment lands)."""

from __future__ import annotations

from sqlalchemy import Engine

from hub.store.models import Base


def upgrade(engine: Engine) -> None:
    """Bring the schema to head.  TEMPORARY: create_all; Alembic replaces this."""
    Base.metadata.create_all(engine)
