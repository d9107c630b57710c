"""``hub quota``: the daily row budgets, the ledger beside the audit log.

``show GRANT [--day D]`` prints, per quota day, the approved budget, the rows the
ledger charged, the rows held by open reservations and the rows the audit log's
delivery records say went out.  ``verify`` first reconciles what can be reconciled
(``hub.quota.reconcile``), then names every grant-day whose delivered rows exceed the
approved budget or whose ledger disagrees with the audit log, and exits 1 if any does.
Both take ``--json`` (``hub.cli._output``): ``show`` a list of grant-days, ``verify``
one document ``{reconciled, grant_days, problems}``.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Any

import typer

from hub.cli._common import console
from hub.cli._output import Col, JsonOption, dumps, emit
from hub.errors import BadRequest
from hub.quota import GrantDay, grant_days, reconcile
from hub.settings import get_settings
from hub.store import Store, open_store

app = typer.Typer(help="Daily row budgets: the quota ledger beside the audit log.", no_args_is_help=True)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

DayOption = Annotated[str | None, typer.Option("--day", help="a quota day YYYY-MM-DD (UTC+8); default: all")]

COLUMNS = [
    Col("grant", wrap=False), Col("day", wrap=False), Col("approved", fmt=lambda v: "-" if v is None else str(v)),
    Col("charged", "ledger charged", fmt=str),
    Col("open_count", "open (rows)", cell=lambda r: f"{r['open_count']} ({r['open_rows'] + r['unconfirmed']})",
        priority=-1),
    Col("delivered", "audit delivered", fmt=str),
    Col("problems", "status", cell=lambda r: "; ".join(r["problems"]) or "ok", styles={"ok": "green"}),
]


def _store() -> Store:
    return open_store(get_settings().metadata_url)


def _check_day(day: str | None) -> None:
    if day is not None and not _DAY.fullmatch(day):
        raise BadRequest(f"--day `{day[:32]}` is not a date YYYY-MM-DD")


def _rows(days: list[GrantDay]) -> list[dict[str, Any]]:
    return [asdict(g) for g in days]


@app.command()
def show(grant: Annotated[str, typer.Argument(help="a grant id, e.g. g-1a2b3c4d")], day: DayOption = None,
         as_json: JsonOption = False) -> None:
    """The ledger's figure and the audit log's delivered rows, side by side, per day."""
    _check_day(day)
    store = _store()
    try:
        rows = grant_days(store, grant[:64], day)
    finally:
        store.dispose()
    if not rows and not as_json:
        console.print(f"grant `{grant[:64]}` has no charges or deliveries" + (f" on {day}" if day else ""))
        return
    emit(_rows(rows), COLUMNS, as_json=as_json, title=f"quota of {grant[:64]}")


@app.command()
def verify(
    day: DayOption = None,
    no_reconcile: Annotated[bool, typer.Option("--no-reconcile", help="compare as is, without first "
                                                                      "closing what can be closed")] = False,
    as_json: JsonOption = False,
) -> None:
    """Report every grant-day whose deliveries exceed its budget or whose ledger disagrees (exit 1)."""
    _check_day(day)
    store = _store()
    done = None
    try:
        if not no_reconcile:
            done = reconcile(store)
            if not as_json:
                console.print(f"reconciled: {done.confirmed} confirmed, {done.released} released "
                              f"({done.rows_returned} rows given back), {done.still_open} still open")
        rows = grant_days(store, None, day)
    finally:
        store.dispose()
    bad = [g for g in rows if g.problems]
    if as_json:
        typer.echo(dumps({"reconciled": asdict(done) if done else None, "grant_days": len(rows),
                          "problems": _rows(bad)}))
    elif bad:
        emit(_rows(bad), COLUMNS, as_json=False, title="grant-days that do not add up")
    else:
        console.print(f"{len(rows)} grant-day(s): delivered rows within the approved budget, ledger = audit log")
    if bad:
        raise typer.Exit(1)
