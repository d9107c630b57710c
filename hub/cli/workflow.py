"""Application → approval → grant workflow from the command line, lockdown and lifting it.

Each officer command signs a statement with the officer's own key (``--key`` or
``--pkcs11``, see ``hub.cli._signing``) over the current terms of its target, and
runs ``hub.workflow`` in one transaction with the real audit sink, which verifies
the statement against the officer's registered key before anything changes; the
change and its audit record commit together.  The policy data is bumped on commit
and re-read by running decision points.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from hub import statements, workflow
from hub.cli._common import console
from hub.cli._signing import (
    KeyChoice,
    KeyOption,
    OfficerOption,
    PassphraseFileOption,
    PinFileOption,
    Pkcs11Option,
    officer_of,
    signer_of,
)
from hub.events import EventSink
from hub.settings import get_settings
from hub.store.db import open_store
from hub.store.models import Partner

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


def _regions(session: Session, all_regions: bool, partner_id: str) -> str:
    """How far a grant reaches (属地): every region, or the partner's own jurisdiction."""
    if all_regions:
        return "[bold red]ALL regions[/bold red]"
    partner = session.get(Partner, partner_id)
    return f"own jurisdiction {partner.jurisdiction}" if partner else "own jurisdiction"


@application_app.command("list")
def application_list(
    status: Annotated[str | None, typer.Option(help="pending | approved | rejected | expired")] = None,
) -> None:
    """List applications and their approvals."""
    table = Table("id", "partner", "dataset", "purpose", "columns (*clear, ?lookup)", "regions", "valid", "rows/day",
                  "status", "decisions", title="applications")

    def rows(session: Session, _sink: EventSink) -> None:
        for app in workflow.list_applications(session, status):
            decisions = ", ".join(f"{a.officer_id}({a.role}) {a.decision}"
                                  for a in workflow.approvals_of(session, app.id))
            columns = _columns(app.columns, app.clear_columns, app.lookup_columns)
            reach = _regions(session, app.all_regions, app.partner_id)
            table.add_row(app.id, app.partner_id, app.dataset_id, app.purpose, columns, reach,
                          f"{_day(app.valid_from)} → {_day(app.valid_until)}", str(app.max_rows_per_day),
                          app.status, decisions or "—")

    _run(rows)
    console.print(table)


def _signed(choice: KeyChoice, claimed: str | None, action: str, target: str,
            terms: Callable[[Session], dict[str, Any]], note: str,
            work: Callable[[Session, EventSink, str], T]) -> T:
    """Load the officer's signer, sign ``action`` on ``target`` over the current terms, run ``work``."""
    signer = signer_of(choice)
    with _audited() as (session, sink):
        officer = officer_of(session, signer, claimed)
        statement = statements.sign(signer, officer, action, target, terms(session), note=note)
        return work(session, sink, statement)


def _decide(application_id: str, decision: str, comment: str, officer: str | None, choice: KeyChoice) -> None:
    def terms(session: Session) -> dict[str, Any]:
        return statements.application_terms(workflow.get_application(session, application_id))

    app = _signed(choice, officer, decision, f"application:{application_id}", terms, comment,
                  lambda s, sink, statement: workflow.decide(s, sink, application_id, statement))
    console.print(f"application [bold]{app.id}[/bold]: {decision}, signed; status {app.status}")


@application_app.command("show")
def application_show(application_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Show exactly what an approval signs: the application's terms and their digest."""
    def show(session: Session, _sink: EventSink) -> tuple[dict[str, Any], list[str]]:
        app = workflow.get_application(session, application_id)
        decisions = [f"{a.officer_id}({a.role}) {a.decision} at {_day(a.created_at)}"
                     for a in workflow.approvals_of(session, app.id)]
        return statements.application_terms(app), [f"status {app.status}", *decisions]

    terms, lines = _run(show)
    console.print_json(json.dumps(terms, ensure_ascii=False))
    console.print(f"terms sha256 {statements.terms_digest(terms)}")
    for line in lines:
        console.print(line)


@application_app.command("approve")
def application_approve(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    comment: Annotated[str, typer.Option(help="comment kept with the signed approval")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Approve an application, signed with your key (two-person rule)."""
    _decide(application_id, "approve", comment, officer, KeyChoice(key, pkcs11, passphrase_file, pin_file))


@application_app.command("reject")
def application_reject(
    application_id: Annotated[str, typer.Argument(metavar="ID")],
    comment: Annotated[str, typer.Option(help="reason, kept with the signed rejection")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Reject an application, signed with your key."""
    _decide(application_id, "reject", comment, officer, KeyChoice(key, pkcs11, passphrase_file, pin_file))


@grant_app.command("list")
def grant_list(
    all_: Annotated[bool, typer.Option("--all", help="include revoked grants")] = False,
) -> None:
    """List grants."""
    table = Table("id", "partner", "dataset", "purposes", "columns (*clear, ?lookup)", "regions", "valid", "rows/day",
                  "approved by", "revoked", title="grants")

    def rows(session: Session, _sink: EventSink) -> None:
        for g in workflow.list_grants(session, include_revoked=all_):
            columns = _columns(g.columns, g.clear_columns, g.lookup_columns)
            approvers = ", ".join(f"{a.get('officer')}({a.get('role')}) {str(a.get('at', ''))[:19]}"
                                  for a in g.approvals)
            reach = _regions(session, g.all_regions, g.partner_id)
            table.add_row(g.id, g.partner_id, g.dataset_id, ", ".join(g.purposes), columns, reach,
                          f"{_day(g.valid_from)} → {_day(g.valid_until)}", str(g.max_rows_per_day),
                          approvers, f"{_day(g.revoked_at)} by {g.revoked_by}" if g.revoked_at else "—")

    _run(rows)
    console.print(table)


@grant_app.command("revoke")
def grant_revoke(
    grant_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="why, signed and kept in the audit log")] = "",
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Revoke a grant at once, signed with your key."""
    def terms(session: Session) -> dict[str, Any]:
        return statements.grant_terms(workflow.get_grant(session, grant_id))

    grant = _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "revoke", f"grant:{grant_id}",
                    terms, reason, lambda s, sink, statement: workflow.revoke(s, sink, grant_id, statement))
    console.print(f"grant [bold]{grant.id}[/bold] revoked by {grant.revoked_by}")


def lockdown(
    partner: Annotated[str, typer.Argument(metavar="PARTNER")],
    reason: Annotated[str, typer.Option(help="why, signed and kept in the audit log")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Suspend a partner (security officers), signed with your key: every later decision denies."""
    _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "lockdown", f"partner:{partner}",
            lambda _s: statements.lockdown_terms(partner), reason,
            lambda s, sink, statement: workflow.lockdown(s, sink, partner, statement))
    console.print(f"partner [bold]{partner}[/bold] locked down: every decision for it now denies")


def lift_lockdown(
    partner: Annotated[str, typer.Argument(metavar="PARTNER")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign the lifting of a partner's lockdown; it is lifted when a second officer signs too."""
    def terms(session: Session) -> dict[str, Any]:
        return statements.lift_terms(partner, [s.id for s in workflow.open_lockdowns(session, partner)])

    lifted = _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "lift", f"partner:{partner}",
                     terms, "", lambda s, sink, statement: workflow.lift(s, sink, partner, statement))
    if lifted is None:
        console.print(f"lifting the lockdown of [bold]{partner}[/bold]: signed; a second officer must sign too")
    else:
        console.print(f"partner [bold]{partner}[/bold]: lockdown lifted (two officers signed)")


def register(app: typer.Typer) -> None:
    app.command("lockdown")(lockdown)
    app.command("lift-lockdown")(lift_lockdown)
