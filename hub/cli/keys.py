"""``hub keys``: the age of every key (``status``) and rotation (``rotate master|audit|token``)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from hub.audit import AuditLog
from hub.cli._common import console
from hub.kms.inventory import ROTATABLE, inventory, rotate
from hub.settings import get_settings
from hub.store import open_store

app = typer.Typer(help="Keys: signing keys, secrets, master key and data keys (hub.kms).", no_args_is_help=True)


@app.command("status")
def status() -> None:
    """Every key with its algorithm, age and state (never the key itself)."""
    settings = get_settings()
    table = Table(title=f"keys of {settings.home} (suite {settings.crypto_suite}, KMS {settings.kms})")
    for column in ("kind", "id", "algorithm", "created", "age (days)", "status"):
        table.add_column(column, overflow="fold")
    for row in inventory(settings):
        created = row.created_at.isoformat(timespec="seconds") if row.created_at else "-"
        age = row.age_days()
        table.add_row(row.kind, row.id, row.algorithm, created, "-" if age is None else f"{age:g}", row.status)
    console.print(table)


@app.command("rotate")
def rotate_key(which: Annotated[str, typer.Argument(help=f"one of {', '.join(ROTATABLE)}")]) -> None:
    """Rotate a key; a master-key rotation re-wraps every data key (no data is rewritten). Audited."""
    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit:
            done = rotate(settings, which, audit)
    finally:
        store.dispose()
    extra = f"; {done.rewrapped} data keys re-wrapped" if which == "master" else ""
    console.print(f"rotated {which}: {done.old or '(none)'} → {done.new}{extra}")
