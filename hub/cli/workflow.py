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
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.orm import Session

from hub import statements, workflow
from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit, emit_document
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
from hub.hubid import hub_id
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


def _jurisdiction(session: Session, partner_id: str) -> str | None:
    partner = session.get(Partner, partner_id)
    return partner.jurisdiction if partner else None


def _reach(row: Mapping[str, Any]) -> str:
    """How far a grant reaches (属地): every region, or the partner's own jurisdiction."""
    if row["all_regions"]:
        return "ALL regions"
    return f"own jurisdiction {row['jurisdiction'] or ''}".rstrip()


def _columns(row: Mapping[str, Any]) -> str:
    """``a*, b?, c``: ``*`` marks a clear column, ``?`` a lookup column (``match``)."""
    return ", ".join(c + ("*" if c in row["clear_columns"] else "") + ("?" if c in row["lookup_columns"] else "")
                     for c in row["columns"])


def _window(row: Mapping[str, Any]) -> str:
    return f"{_day(row['valid_from'])} → {_day(row['valid_until'])}"


_ALERT = {"ALL regions": "bold red"}
APPLICATION_COLUMNS = [
    Col("id", wrap=False), Col("partner"), Col("dataset"), Col("purpose", priority=-1),
    Col("columns", "columns (clear*, lookup?)", cell=_columns, priority=-3), Col("regions", cell=_reach, styles=_ALERT),
    Col("valid", cell=_window, priority=-2), Col("max_rows_per_day", "rows/day", fmt=str, priority=-3),
    Col("status"),
    Col("decisions", cell=lambda r: ", ".join(f"{d['officer']}({d['role']}) {d['decision']}"
                                              for d in r["decisions"]) or "—", priority=-1),
]
GRANT_COLUMNS = [
    Col("id", wrap=False), Col("partner"), Col("dataset"), Col("purposes", priority=-1),
    Col("columns", "columns (clear*, lookup?)", cell=_columns, priority=-3), Col("regions", cell=_reach, styles=_ALERT),
    Col("valid", cell=_window, priority=-2), Col("max_rows_per_day", "rows/day", fmt=str, priority=-3),
    Col("approvals", "approved by", cell=lambda r: ", ".join(f"{a['officer']}({a['role']}) {_day(a['at'])}"
                                                             for a in r["approvals"]), priority=-1),
    Col("revoked", cell=lambda r: f"{_day(r['revoked_at'])} by {r['revoked_by']}" if r["revoked_at"] else "—"),
]


def _application_row(session: Session, app: Any) -> dict[str, Any]:
    decisions = [{"officer": a.officer_id, "role": a.role, "decision": a.decision, "at": a.created_at,
                  "kid": a.kid} for a in workflow.approvals_of(session, app.id)]
    return {"id": app.id, "partner": app.partner_id, "dataset": app.dataset_id, "purpose": app.purpose,
            "columns": list(app.columns), "clear_columns": list(app.clear_columns),
            "lookup_columns": list(app.lookup_columns or []), "all_regions": bool(app.all_regions),
            "jurisdiction": _jurisdiction(session, app.partner_id),
            "valid_from": app.valid_from, "valid_until": app.valid_until,
            "max_rows_per_day": app.max_rows_per_day, "status": app.status, "decisions": decisions}


def _grant_row(session: Session, g: Any) -> dict[str, Any]:
    approvals = [{"officer": a.get("officer"), "role": a.get("role"), "at": a.get("at"), "kid": a.get("kid")}
                 for a in g.approvals]
    return {"id": g.id, "application": g.application_id, "partner": g.partner_id, "dataset": g.dataset_id,
            "purposes": list(g.purposes), "columns": list(g.columns), "clear_columns": list(g.clear_columns),
            "lookup_columns": list(g.lookup_columns or []), "all_regions": bool(g.all_regions),
            "jurisdiction": _jurisdiction(session, g.partner_id),
            "valid_from": g.valid_from, "valid_until": g.valid_until, "max_rows_per_day": g.max_rows_per_day,
            "approvals": approvals, "revoked_at": g.revoked_at, "revoked_by": g.revoked_by}


@application_app.command("list")
def application_list(
    status: Annotated[str | None, typer.Option(help="pending | approved | rejected | expired")] = None,
    as_json: JsonOption = False,
) -> None:
    """List applications and their approvals."""
    rows = _run(lambda session, _sink: [_application_row(session, app)
                                        for app in workflow.list_applications(session, status)])
    emit(rows, APPLICATION_COLUMNS, as_json=as_json, title="applications")


def _signed(choice: KeyChoice, claimed: str | None, action: str, target: str,
            terms: Callable[[Session], dict[str, Any]], note: str,
            work: Callable[[Session, EventSink, str], T]) -> T:
    """Load the officer's signer, sign ``action`` on ``target`` over the current terms, run ``work``."""
    signer = signer_of(choice)
    with _audited() as (session, sink):
        officer = officer_of(session, signer, claimed)
        statement = statements.sign(signer, officer, action, target, terms(session), audience=hub_id(session),
                                    note=note)
        return work(session, sink, statement)


def _decide(application_id: str, decision: str, comment: str, officer: str | None, choice: KeyChoice) -> None:
    def terms(session: Session) -> dict[str, Any]:
        return statements.application_terms(workflow.get_application(session, application_id))

    app = _signed(choice, officer, decision, f"application:{application_id}", terms, comment,
                  lambda s, sink, statement: workflow.decide(s, sink, application_id, statement))
    console.print(f"application [bold]{app.id}[/bold]: {decision}, signed; status {app.status}")


@application_app.command("show")
def application_show(application_id: Annotated[str, typer.Argument(metavar="ID")],
                     as_json: JsonOption = False) -> None:
    """Show exactly what an approval signs: the application's terms and their digest."""
    def show(session: Session, _sink: EventSink) -> dict[str, Any]:
        app = workflow.get_application(session, application_id)
        row = _application_row(session, app)
        terms = statements.application_terms(app)
        return {"id": app.id, "status": app.status, "terms": terms,
                "terms_sha256": statements.terms_digest(terms), "decisions": row["decisions"]}

    doc = _run(show)

    def render(out: Console) -> None:
        out.print_json(json.dumps(doc["terms"], ensure_ascii=False))
        out.print(f"terms sha256 {doc['terms_sha256']}")
        out.print(f"status {doc['status']}")
        for d in doc["decisions"]:
            out.print(f"{d['officer']}({d['role']}) {d['decision']} at {_day(d['at'])}")

    emit_document(doc, as_json=as_json, render=render)


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
    as_json: JsonOption = False,
) -> None:
    """List grants."""
    rows = _run(lambda session, _sink: [_grant_row(session, g)
                                        for g in workflow.list_grants(session, include_revoked=all_)])
    emit(rows, GRANT_COLUMNS, as_json=as_json, title="grants")


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
