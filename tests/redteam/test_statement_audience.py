"""A statement signed for one hub, presented to another (对象绑定): replay across hubs.

An officer's key may be enrolled at two hubs (a province and a county of one
federation).  Whoever sees a statement the officer signed for hub A — a proxy, a
log, the officer's own mailbox — presents it to hub B within the clock skew.  Every
probe fails while statements carry no audience.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub import statements, workflow
from hub.audit import AuditLog
from hub.hubid import hub_id
from hub.identity import register_partner
from hub.settings import load_settings
from hub.statements import StatementRefused
from hub.store import open_store
from hub.store.models import Partner
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, OFFICERS, seed
from tests.redteam.conftest import Hub

PARTNER = "hz-gongshu-jw"


@pytest.fixture
def hub_b(tmp_path: Path, hub: Hub) -> Iterator[Hub]:
    """A second hub (its own HUB_HOME) where the same officers are enrolled with the same keys."""
    home = tmp_path / "hub-b"
    home.mkdir()
    settings = load_settings(home=home, audit_checkpoint_every=10_000, audit_checkpoint_seconds=3600)
    store = open_store(settings.metadata_url)
    log = AuditLog.from_settings(store, settings)
    desk = Desk()
    for officer in OFFICERS:
        desk.signer(officer, hub.desk.private[officer])
    with store.session() as session:
        seed(session, log.sink, desk)
        register_partner(session, log.sink, PARTNER, clearance=3, jurisdiction="330105",
                         purposes=["case-verification"])
    yield Hub(home, store, log, desk)
    log.close()
    store.dispose()


def _suspended(hub: Hub) -> bool:
    with hub.store.session() as session:
        partner = session.get(Partner, PARTNER)
        assert partner is not None
        return partner.suspended


def test_a_statement_signed_for_hub_a_is_refused_by_hub_b(hub: Hub, hub_b: Hub) -> None:
    statement = hub.desk.sign("sec-1", "lockdown", f"partner:{PARTNER}", statements.lockdown_terms(PARTNER),
                              note="extract on a forum", now=NOW)
    with pytest.raises(StatementRefused) as refused, hub_b.store.session() as session:
        workflow.lockdown(session, hub_b.log.sink, PARTNER, statement, now=NOW)
    assert not _suspended(hub_b), "hub B acted on a statement signed for hub A"
    with hub_b.store.session() as session:
        mine = hub_id(session)
    # the error names both hubs: the statement's and this one
    assert f"for hub `{hub.desk.audience}`" in str(refused.value) and f"not this hub `{mine}`" in str(refused.value)
    with hub.store.session() as session:  # the same statement is good where it was meant to go
        workflow.lockdown(session, hub.log.sink, PARTNER, statement, now=NOW)
    assert _suspended(hub)
    assert hub.verify().ok and hub_b.verify().ok


def test_a_statement_with_no_audience_is_refused(hub: Hub) -> None:
    """A statement signed as before this check (no `aud`) is not accepted any more."""
    claims = statements.claims_for("sec-1", "lockdown", f"partner:{PARTNER}", statements.lockdown_terms(PARTNER),
                                   audience=hub.desk.audience or "", note="leak", now=NOW)
    del claims["aud"]
    statement = statements.sign_claims(hub.desk.signer("sec-1"), claims)
    with pytest.raises(StatementRefused, match="names no hub"), hub.store.session() as session:
        workflow.lockdown(session, hub.log.sink, PARTNER, statement, now=NOW)
    assert not _suspended(hub)


def test_history_signed_before_the_audience_existed_still_verifies(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Old records hold statements without `aud`: `hub audit verify` re-reads them as they are (the
    audience is checked when a statement is accepted, not when old history is verified)."""
    checked = statements.check_claims

    def as_before(parsed: statements.Parsed, *, audience: str, **rest: object) -> None:  # a hub of the old version
        checked(dataclasses.replace(parsed, claims={**parsed.claims, "aud": audience}), audience=audience,
                **rest)  # type: ignore[arg-type]

    claims = statements.claims_for("sec-1", "lockdown", f"partner:{PARTNER}", statements.lockdown_terms(PARTNER),
                                   audience=hub.desk.audience or "", note="leak", now=NOW)
    del claims["aud"]
    with monkeypatch.context() as patched:
        patched.setattr(statements, "check_claims", as_before)
        with hub.store.session() as session:
            workflow.lockdown(session, hub.log.sink, PARTNER, statements.sign_claims(hub.desk.signer("sec-1"), claims),
                              now=NOW)
    report = hub.verify()
    assert report.ok, report.problems
    assert report.officer_signatures >= 1


def _append_hub_bs_statement(hub: Hub, hub_b: Hub) -> int:
    """A database writer at hub A appends a record carrying a genuine statement taken from hub B's
    chain (signed by a key enrolled at both), rehashed so the links hold; its seq."""
    from tests.audit.test_tamper import _insert, _rehash, _row

    app_b = hub_b.apply()  # hub B's own application, approved there by its owner officer
    hub_b.decide(app_b, "own-fin")
    taken = json.loads(hub_b.raw().execute("SELECT details FROM audit_records WHERE event = 'application.decided'")
                       .fetchone()[0])
    db = hub.raw()
    last = _row(db, db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0])
    template = _row(db, db.execute("SELECT seq FROM audit_records WHERE event = 'officer.registered'").fetchone()[0])
    forged = {**template, "seq": last["seq"] + 1, "prev_hash": last["hash"], "event": "application.decided",
              "subject": "officer:own-fin", "action": "approve", "decision": "approve", "details": json.dumps(taken)}
    _insert(db, _rehash(db, forged))
    return int(forged["seq"])


def test_a_record_carrying_another_hubs_statement_fails_audit_verify(hub: Hub, hub_b: Hub) -> None:
    """The signature verifies, the audience does not."""
    assert hub.verify().ok
    seq = _append_hub_bs_statement(hub, hub_b)
    report = hub.verify()
    assert not report.ok, "a record carrying hub B's statement verified in hub A's chain"
    assert report.first_bad is not None and report.first_bad.seq == seq
    assert "not this hub" in report.first_bad.what


def test_the_awareness_chain_check_catches_another_hubs_statement_too(hub: Hub, hub_b: Hub) -> None:
    """The watcher's incremental check (every few seconds in `hub serve`) holds statements to this
    hub as `hub audit verify` does, not only at the next full `hub security check`."""
    from hub.awareness import Thresholds
    from hub.awareness.state import StateChecks

    checks = StateChecks(hub.store, hub.log.keys, Thresholds())
    found, position = checks.chain(NOW, None)
    assert found == [] and position is not None
    seq = _append_hub_bs_statement(hub, hub_b)
    found, after = checks.chain(NOW, position)
    assert [(f.kind, f.severity, f.seqs) for f in found] == [("audit_chain", "critical", [seq])]
    assert "not this hub" in found[0].title
    assert after == position, "the verified position moved past the foreign statement"


def _export(hub: Hub, path: Path) -> list[dict]:  # type: ignore[type-arg]
    from hub.audit.export import export

    with path.open("w", encoding="utf-8") as fh:
        export(hub.store, hub.log.keys, fh)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _header_changed(lines: list[dict], path: Path, hub: str | None) -> Path:  # type: ignore[type-arg]
    """``lines`` written to ``path`` with the header's ``hub_id`` set to ``hub`` (None: taken out)."""
    def changed(header: dict) -> dict:  # type: ignore[type-arg]
        rest = {k: v for k, v in header.items() if k != "hub_id"}
        return rest if hub is None else {**rest, "hub_id": hub}

    path.write_text("".join(json.dumps(changed(line) if line["type"] == "header" else line) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def test_an_export_names_its_hub_and_holds_its_statements_to_it(hub: Hub, hub_b: Hub, tmp_path: Path) -> None:
    """The header names the hub; changing it to another hub's id fails verification (the officer
    statements inside name the real one), and so does a statement replayed from another hub."""
    from hub.audit.export import verify_export

    lines = _export(hub, tmp_path / "a.jsonl")
    with hub.store.session() as session:
        assert lines[0]["hub_id"] == hub_id(session)
    report = verify_export(tmp_path / "a.jsonl")
    assert report.ok and report.officer_signatures >= 1, report.summary()
    with hub_b.store.session() as session:
        other = hub_id(session)
    report = verify_export(_header_changed(lines, tmp_path / "relabelled.jsonl", other))
    assert not report.ok and report.first_bad is not None and "not this hub" in report.first_bad.what
    report = verify_export(_header_changed(lines, tmp_path / "malformed.jsonl", "[/x]"))
    assert not report.ok and "not a hub id" in report.problems[0].what
    seq = _append_hub_bs_statement(hub, hub_b)
    forged = _export(hub, tmp_path / "forged.jsonl")
    report = verify_export(tmp_path / "forged.jsonl")
    assert not report.ok and report.first_bad is not None and report.first_bad.seq == seq
    # with the header's hub_id taken out, the statements are held to the first one's hub: still caught
    report = verify_export(_header_changed(forged, tmp_path / "stripped.jsonl", None))
    assert not report.ok and report.first_bad is not None and report.first_bad.seq == seq
    assert "not this hub" in report.first_bad.what


def test_the_cli_prints_an_export_headers_hub_as_text(hub: Hub, tmp_path: Path) -> None:
    """The header is the file's text, not the hub's: rich markup in it is printed, never rendered."""
    from typer.testing import CliRunner

    from hub.cli.audit import app

    lines = _export(hub, tmp_path / "a.jsonl")
    hostile = _header_changed(lines, tmp_path / "hostile.jsonl", "[/x][bold]x")
    result = CliRunner().invoke(app, ["verify", str(hostile)])
    assert result.exit_code == 1 and "internal error" not in result.output
    assert "[/x][bold]x" in result.output and "not a hub id" in result.output
