"""``hub db``: the metadata store's schema (Alembic migrations shipped in the package).

Every command reads the settings first, so a bad ``HUB_*`` value fails with one
line naming it before anything connects.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import Engine

from hub.cli._common import console
from hub.settings import load_settings
from hub.store import migrate
from hub.store.db import make_engine, sqlite_path

app = typer.Typer(help="The metadata store's schema (migrations).", no_args_is_help=True)


@contextmanager
def _engine() -> Iterator[tuple[Engine, str]]:
    settings = load_settings()
    engine = make_engine(settings.metadata_url)
    try:
        yield engine, engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()


def _say(line: str) -> None:
    console.print(line, markup=False, highlight=False, soft_wrap=True)


def _label(revision: str | None) -> str:
    if revision is None:
        return "empty (no schema)"
    return f"{revision} (head)" if revision == migrate.head() else f"{revision} (head is {migrate.head()})"


@app.command("upgrade")
def upgrade(
    revision: Annotated[str, typer.Argument(help="target revision")] = "head",
    sql: Annotated[bool, typer.Option("--sql", help="print the SQL for an empty store only")] = False,
) -> None:
    """Bring the schema to REVISION (default: head); a no-op when already there."""
    if sql:
        typer.echo(migrate.upgrade_sql(load_settings().metadata_url, revision), nl=False)
        return
    with _engine() as (engine, where):
        before = migrate.current(engine)
        migrate.upgrade(engine, revision)
        after = migrate.current(engine)
    change = "unchanged" if before == after else f"{before or 'empty'} → {after}"
    _say(f"metadata store {where}: {_label(after)}, {change}")


@app.command("downgrade")
def downgrade(
    revision: Annotated[str, typer.Argument(help="target revision; `base` drops every table")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")] = False,
) -> None:
    """Take the schema back to REVISION; the dropped tables' data is lost."""
    load_settings()
    if not yes:
        typer.confirm(
            f"Downgrading to {revision} drops tables and their data (the audit log too). Continue?",
            abort=True,
        )
    with _engine() as (engine, where):
        migrate.downgrade(engine, revision)
        after = migrate.current(engine)
    _say(f"metadata store {where}: {_label(after)}")


@app.command("current")
def current() -> None:
    """Show the schema revision of the metadata store."""
    settings = load_settings()
    path = sqlite_path(settings.metadata_url)
    if path is not None and not path.exists():
        _say(f"metadata store {path}: {_label(None)}, file absent")
        return
    with _engine() as (engine, where):
        revision = migrate.current(engine)
    _say(f"metadata store {where}: {_label(revision)}")
