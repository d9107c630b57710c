"""Application → approval → grant workflow from the command line, and lockdown.

Each command runs ``hub.workflow`` in one transaction with the real audit sink, so
the change and its audit record commit together; the policy data is bumped on
commit and re-read by running decision points.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub import workflow
from hub.cli._common import console
from hub.events import EventSink
from hub.settings import get_settings
from hub.store.db import open_store

application_app = typer.Typer(help="Applications for grants.", no_args_is_help=True)
grant_app = typer.Typer(help="Grants in force.", no_args_is_help=True)

T = TypeVar("T")


@contextmanager
def _audited() -> Iterator[tuple[Session, EventSink]]:
    """A store session with the audit log's sink; both commit together."""
    from hub.audit.log import AuditLog

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            yield session, audit.sink
    finally:
        store.dispose()


def _run(work: Callable[[Session, EventSink], T]) -> T:
    with _audited() as (session, sink):
        return work(session, sink)


def _day(value: object) -> str:
    return str(value)[:19]


def _columns(columns: list[str], clear: list[str], lookup: list[str] | None) -> str:
    """``a*, b?, c``: ``*`` marks a clear column, ``?`` a lookup column (``match``)."""
    return ", ".join(c + ("*" if c in clear else "") + ("?" if c in (lookup or []) else "") for c in columns)


@application_app.command("list")
def application_list(
    status: Annotated[str | None, typer.Option(help="pending | approved | rejected | expired")] = None,
) -> None:
    """List applications and their approvals."""
    table = Table("id", "partner", "dataset", "purpose", "columns (*clear, ?lookup)", "valid", "rows/day", "status",
                  "decisions", title="applications")

    def rows(session: Session, _sink: EventSink) -> None:
        for app in workflow.list_applications(session, status):
            decisions = ", ".join(f"{a.officer_id}({a.role}) {a.decision}"
                                  for a in workflow.approvals_of(session, app.id))
            columns = _columns(app.columns, app.clear_columns, app.lookup_columns)
            table.add_row(app.id, app.partner_id, app.dataset_id, app.purpose, columns,
                          f"{_day(app.valid_from)} → {_day(app.valid_until)}", str(app.max_rows_per_day),
                          app.status, decisions or "—")

    _run(rows)
    console.print(table)


def _decide(application_id: str, officer: str, decision: str, comment: str) -> None:
    app = _run(lambda s, sink: workflow.decide(s, sink, application_id, officer, decision, comment))
    console.print(f"application [bold]{app.id}[/bold]: {decision} by {officer}; status {app.status}")


@application_app.command("approve")
def application_approve(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    officer: Annotated[str, typer.Option(help="approving officer id")],
    comment: Annotated[str, typer.Option(help="comment kept with the approval")] = "",
) -> None:
    """Approve an application (two-person rule)."""
    _decide(application_id, officer, "approve", comment)


@application_app.command("reject")
def application_reject(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    officer: Annotated[str, typer.Option(help="rejecting officer id")],
    comment: Annotated[str, typer.Option(help="reason")] = "",
) -> None:
    """Reject an application."""
    _decide(application_id, officer, "reject", comment)


@grant_app.command("list")
def grant_list(
    all_: Annotated[bool, typer.Option("--all", help="include revoked grants")] = False,
) -> None:
    """List grants."""
    table = Table("id", "partner", "dataset", "purposes", "columns (*clear, ?lookup)", "valid", "rows/day",
                  "approved by", "revoked", title="grants")

    def rows(session: Session, _sink: EventSink) -> None:
        for g in workflow.list_grants(session, include_revoked=all_):
            columns = _columns(g.columns, g.clear_columns, g.lookup_columns)
            approvers = ", ".join(f"{a.get('officer')}({a.get('role')})" for a in g.approvals)
            table.add_row(g.id, g.partner_id, g.dataset_id, ", ".join(g.purposes), columns,
                          f"{_day(g.valid_from)} → {_day(g.valid_until)}", str(g.max_rows_per_day),
                          approvers, f"{_day(g.revoked_at)} by {g.revoked_by}" if g.revoked_at else "—")

    _run(rows)
    console.print(table)


@grant_app.command("revoke")
def grant_revoke(
    grant_id: Annotated[str, typer.Argument(metavar="ID")],
    by: Annotated[str, typer.Option(help="who revokes, e.g. officer:sec-1")] = "operator:cli",
    reason: Annotated[str, typer.Option(help="why, kept in the audit log")] = "",
) -> None:
    """Revoke a grant at once."""
    _run(lambda s, sink: workflow.revoke(s, sink, grant_id, by, reason))
    console.print(f"grant [bold]{grant_id}[/bold] revoked by {by}")


def lockdown(
    partner: Annotated[str, typer.Argument(metavar="PARTNER")],
    reason: Annotated[str, typer.Option(help="why, kept in the audit log")] = "locked down from the CLI",
    by: Annotated[str, typer.Option(help="who locks down, e.g. officer:sec-1")] = "operator:cli",
) -> None:
    """Suspend a partner: every later decision denies."""
    _run(lambda s, sink: workflow.lockdown(s, sink, partner, by, reason))
    console.print(f"partner [bold]{partner}[/bold] locked down: every decision for it now denies")


def register(app: typer.Typer) -> None:
    app.command("lockdown")(lockdown)
