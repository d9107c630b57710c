"""``hub alerts``, ``hub risk``, ``hub security``: situational awareness from the command line.

``hub alerts list|show`` read the alerts; ``ack`` and ``resolve`` are officer actions,
signed with the officer's own key (``--key`` / ``--pkcs11``, see ``hub.cli._signing``)
and verified before they take effect; ``scan`` runs the detectors once by hand.
``hub risk report`` prints the risk assessment.  ``hub security check`` runs the
periodic security check and writes its dated HTML and PDF report under
``$HUB_HOME/reports/``; ``suspend`` / ``resume`` are the dataset circuit breaker
(一键熔断; resuming needs two officers); ``rekey`` registers a partner's new key after
a forced rotation (two officers then lift its lockdown).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from hub import circuit, statements
from hub.cli._common import console
from hub.cli._output import Col, JsonOption, emit, emit_document, fields, plain
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

alerts_app = typer.Typer(help="Alerts raised by the detectors (监测预警).", no_args_is_help=True)
risk_app = typer.Typer(help="Risk assessment (风险评估).", no_args_is_help=True)
security_app = typer.Typer(help="Security check, dataset circuit breaker, forced key rotation.",
                           no_args_is_help=True)
T = TypeVar("T")

def _cell(value: Any) -> str:
    """A nested value (details, actions) as compact JSON; everything else as tables show it."""
    return json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict | list) and value \
        else plain(value)


def _containment(alert: Mapping[str, Any]) -> str:
    return ", ".join(f"{x['action']}{' (skipped)' if x.get('skipped') else ''}" for x in alert["actions"]) or "—"


ALERT_COLUMNS = [
    Col("id", wrap=False), Col("severity"), Col("kind"), Col("subject", priority=-1),
    Col("dataset", priority=-1), Col("count", fmt=str, priority=-3),
    Col("first_seen", "first seen", fmt=lambda v: str(v)[:19], priority=-4),
    Col("last_seen", "last seen", fmt=lambda v: str(v)[:19], priority=-2), Col("state"),
    Col("actions", "containment", cell=_containment, priority=-2),
]
SUSPENSION_COLUMNS = [
    Col("id", fmt=str, wrap=False), Col("dataset", wrap=False), Col("since", fmt=lambda v: str(v)[:19], priority=-1),
    Col("by"), Col("alert", priority=-2), Col("reason"),
]
Reason = Annotated[str, typer.Option(help="why: signed and kept in the audit log")]


@contextmanager
def _audited() -> Iterator[tuple[Any, Session, EventSink]]:
    """The store, a session and the audit log's sink; the change and its audit record commit together."""
    from hub.audit.log import AuditLog

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            yield store, session, audit.sink
    finally:
        store.dispose()


def _signed(choice: KeyChoice, claimed: str | None, action: str, target: str,
            terms: Callable[[Session], dict[str, Any]], note: str, work: Callable[[Session, EventSink, str], T]) -> T:
    signer = signer_of(choice)
    with _audited() as (_store, session, sink):
        officer = officer_of(session, signer, claimed)
        statement = statements.sign(signer, officer, action, target, terms(session), audience=hub_id(session),
                                    note=note)
        return work(session, sink, statement)


# --- alerts -------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list(
    state: Annotated[str | None, typer.Option(help="open | acknowledged | resolved")] = None,
    kind: Annotated[str | None, typer.Option(help="only this kind, e.g. denial_burst")] = None,
    severity: Annotated[str | None, typer.Option(help="at least this severity: info|warning|high|critical")] = None,
    limit: Annotated[int, typer.Option(help="at most this many")] = 200,
    as_json: JsonOption = False,
) -> None:
    """List alerts, most recently seen first."""
    from hub.awareness import alerts

    with _audited() as (_store, session, _sink):
        found = [alerts.as_dict(a) for a in alerts.list_alerts(session, state, kind, severity, limit)]
    emit(found, ALERT_COLUMNS, as_json=as_json, title="alerts", empty="no alerts")


@alerts_app.command("show")
def alerts_show(alert_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOption = False) -> None:
    """Show one alert: evidence (audit seqs), details, containment, and the terms an ack or resolve signs."""
    from hub.awareness import alerts

    with _audited() as (_store, session, _sink):
        alert = alerts.get(session, alert_id)
        doc, terms = alerts.as_dict(alert), alerts.terms(alert)
    document = {**doc, "terms": terms, "terms_sha256": statements.terms_digest(terms)}

    def render(out: Console) -> None:
        out.print(fields(((k, _cell(v)) for k, v in document.items() if k != "terms"), title=f"alert {alert_id}",
                         width=out.width))

    emit_document(document, as_json=as_json, render=render)


def _alert_action(action: str, alert_id: str, reason: str, officer: str | None, choice: KeyChoice) -> None:
    from hub.awareness import alerts

    work = alerts.acknowledge if action == "ack" else alerts.resolve
    alert = _signed(choice, officer, action, f"alert:{alert_id}", lambda s: alerts.terms(alerts.get(s, alert_id)),
                    reason, lambda s, sink, statement: work(s, sink, alert_id, statement))
    console.print(f"alert [bold]{alert.id}[/bold]: {alert.state}, signed")


@alerts_app.command("ack")
def alerts_ack(
    alert_id: Annotated[str, typer.Argument(metavar="ID")], reason: Reason,
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Acknowledge an alert, signed with your key."""
    _alert_action("ack", alert_id, reason, officer, KeyChoice(key, pkcs11, passphrase_file, pin_file))


@alerts_app.command("resolve")
def alerts_resolve(
    alert_id: Annotated[str, typer.Argument(metavar="ID")], reason: Reason,
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Resolve an alert, signed with your key."""
    _alert_action("resolve", alert_id, reason, officer, KeyChoice(key, pkcs11, passphrase_file, pin_file))


@alerts_app.command("scan")
def alerts_scan() -> None:
    """Run the detectors once over the audit records not yet observed (the API runs them continuously)."""
    from hub.audit.log import AuditLog
    from hub.awareness import build_scanner
    from hub.keys import KeyStore

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit:
            results = build_scanner(settings, store, audit.sink, KeyStore(settings.keys_dir)).drain(check_state=True)
    finally:
        store.dispose()
    raised = [c.alert for r in results for c in r.raised]
    console.print(f"observed {sum(r.records for r in results)} audit records up to seq {results[-1].cursor}; "
                  f"{len(raised)} alerts raised or escalated")
    for alert in raised:
        console.print(f"  {alert.id}  {alert.severity:8}  {alert.kind:20}  {alert.title}")


# --- risk ---------------------------------------------------------------------------------


@risk_app.command("report")
def risk_report(as_json: JsonOption = False) -> None:
    """Exposure per dataset and partner (with its parts), unused and open-ended grants, stale keys."""
    from hub.awareness import risk

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        found = risk.report(store, window_days=settings.risk_window_days,
                            key_max_age_days=settings.partner_key_max_age_days)
    finally:
        store.dispose()
    if as_json:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    _print_risk(found)


def _print_risk(found: dict[str, Any]) -> None:
    days = found["window_days"]
    table = Table("dataset", "score", "level", "clear PII cols", f"rows {days}d", "partners", title="datasets")
    for d in found["datasets"]:
        p = d["parts"]
        table.add_row(d["dataset"], f"{d['score']:,.1f}", str(p["level"]), str(p["clear_pii_columns_granted"]),
                      f"{p['rows_delivered']:,}", str(p["partners"]))
    console.print(table)
    table = Table("partner", "score", "top level", "clear PII cols", f"rows {days}d", "datasets", title="partners")
    for d in found["partners"]:
        p = d["parts"]
        table.add_row(d["partner"], f"{d['score']:,.1f}", str(p["highest_level"]), str(p["clear_pii_columns_granted"]),
                      f"{p['rows_delivered']:,}", str(p["datasets_granted"]))
    console.print(table)
    for title, key in ((f"grants unused for {days} days", "grants_unused"),
                       ("grants without an end within a year", "grants_without_end"),
                       ("partners with keys older than the rotation policy", "stale_partner_keys"),
                       ("datasets whose reviewed level is below the inferred one", "level_below_inferred")):
        items = found[key]
        console.print(f"[bold]{title}[/bold]: {len(items) or 'none'}")
        for item in items:
            console.print("  " + ", ".join(f"{k} {v}" for k, v in item.items()))


# --- security -----------------------------------------------------------------------------


@security_app.command("check")
def security_check(as_json: JsonOption = False) -> None:
    """The periodic security check: verify the audit chain, run the policy cases, recompute the risk
    report, list open alerts; write the dated HTML and PDF report and audit its SHA-256."""
    from hub.awareness.report import run_security_check

    settings = get_settings()
    with console.status("security check: verifying the audit chain, running the policy cases …"):
        result = run_security_check(settings)
    if as_json:
        console.print_json(json.dumps(result.summary(), ensure_ascii=False))
    else:
        for line in result.lines():
            console.print(line)
    if not result.passed:
        raise typer.Exit(1)


@security_app.command("suspend")
def security_suspend(
    dataset: Annotated[str, typer.Argument(metavar="DATASET")], reason: Reason,
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Suspend exchange of a dataset for every partner at once (一键熔断; security officers, signed)."""
    _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "suspend", f"dataset:{dataset}",
            lambda _s: statements.suspend_terms(dataset), reason,
            lambda s, sink, statement: circuit.suspend(s, sink, dataset, statement))
    console.print(f"dataset [bold]{dataset}[/bold] suspended: every read of it is now denied")


@security_app.command("resume")
def security_resume(
    dataset: Annotated[str, typer.Argument(metavar="DATASET")],
    officer: OfficerOption = None, key: KeyOption = None, pkcs11: Pkcs11Option = None,
    passphrase_file: PassphraseFileOption = None, pin_file: PinFileOption = None,
) -> None:
    """Sign resuming a suspended dataset; it resumes when a second officer signs too."""
    def terms(session: Session) -> dict[str, Any]:
        return statements.resume_terms(dataset, [s.id for s in circuit.standing(session, dataset)])

    lifted = _signed(KeyChoice(key, pkcs11, passphrase_file, pin_file), officer, "resume", f"dataset:{dataset}",
                     terms, "", lambda s, sink, statement: circuit.resume(s, sink, dataset, statement))
    if lifted is None:
        console.print(f"resuming [bold]{dataset}[/bold]: signed; a second officer must sign too")
    else:
        console.print(f"dataset [bold]{dataset}[/bold] resumed (two officers signed)")


@security_app.command("suspensions")
def security_suspensions(as_json: JsonOption = False) -> None:
    """List the dataset suspensions in force."""
    with _audited() as (_store, session, _sink):
        found = [{"id": s.id, "dataset": s.dataset_id, "since": s.created_at, "by": s.created_by,
                  "alert": s.alert_id, "reason": s.reason} for s in circuit.in_force(session)]
    emit(found, SUSPENSION_COLUMNS, as_json=as_json, title="dataset suspensions", empty="no dataset is suspended")


@security_app.command("rekey")
def security_rekey(
    partner: Annotated[str, typer.Argument(metavar="PARTNER")],
    public_key: Annotated[Path | None, typer.Option(help="the partner's new public key (PEM)")] = None,
    key_out: Annotated[Path | None, typer.Option(help="where to write a generated private key (PEM, 0600)")] = None,
) -> None:
    """Register a new key for a partner after a forced rotation (two officers then lift its lockdown)."""
    from hub.identity import add_partner_key, write_private_key

    settings = get_settings()
    pem = public_key.read_bytes() if public_key else None
    with _audited() as (_store, session, sink):
        registration = add_partner_key(session, sink, partner, public_pem=pem)
    if registration.private_pem is not None:  # written once the key is registered (committed)
        path = key_out or settings.home / "clients" / f"partner:{partner}.pem"
        write_private_key(path, registration.private_pem)
        console.print(f"  private key  {path}  (mode 0600; give it to the partner, keep it secret)")
    console.print(f"partner [bold]{partner}[/bold]: new key {registration.kid} registered; its lockdown stays "
                  "until two officers lift it (`hub lift-lockdown`)")


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(risk_app, name="risk")
    app.add_typer(security_app, name="security")
