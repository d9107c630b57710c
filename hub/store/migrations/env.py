"""Alembic environment: migrates the metadata store to the models' schema.

``hub.store.migrate`` runs it with an open connection in
``config.attributes["connection"]`` (already inside the locked transaction).  Run
from the ``alembic`` command line instead (developers: ``alembic revision
--autogenerate``), it connects to ``sqlalchemy.url`` or the configured store.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from hub.store.models import Base


def _options(dialect_name: str) -> dict[str, Any]:
    # SQLite cannot ALTER most things; batch mode recreates the table instead.
    return {
        "target_metadata": Base.metadata,
        "render_as_batch": dialect_name == "sqlite",
        "compare_type": True,
    }


def _run(connection: Connection) -> None:
    context.configure(connection=connection, **_options(connection.dialect.name))
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from hub.settings import load_settings

    return load_settings().metadata_url


def _run_offline() -> None:
    url = _url()
    context.configure(url=url, literal_binds=True, **_options(url.split(":", 1)[0].split("+", 1)[0]))
    with context.begin_transaction():
        context.run_migrations()


def _run_standalone() -> None:
    from hub.store.db import make_engine

    engine = make_engine(_url())
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


shared = context.config.attributes.get("connection")
if shared is not None:
    _run(shared)
elif context.is_offline_mode():
    _run_offline()
else:
    _run_standalone()
