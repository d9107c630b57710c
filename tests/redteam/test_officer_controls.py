"""监督制衡 under attack: what one person with shell access, but no officer key, can do.

Each probe acts as such a person would: writes the metadata store file directly (the
policy's data comes from it), or uses the hub's own code paths with keys it made
itself.  The hub cannot stop someone who can write its database from writing it; what
it promises is that ``hub audit verify`` tells (docs/audit.md §8), and that no
approval counts for terms the officer did not sign.  Every probe fails while the hole
it names is open.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import statements, workflow
from hub.signers import KeySigner
from hub.store.models import Application, ClientKey, Grant, Officer
from tests.policy.helpers import NOW
from tests.redteam.conftest import Hub

LONG_AGO = datetime(2001, 1, 1, tzinfo=UTC)


def _approved(hub: Hub) -> Grant:
    app_id = hub.apply()
    hub.decide(app_id, "own-fin")
    hub.decide(app_id, "sec-1")
    grant = hub.grant_of(app_id)
    assert grant is not None
    assert hub.verify().ok
    return grant


@pytest.mark.parametrize(("column", "value"), [
    ("clear_columns", json.dumps(["recipient_name", "recipient_id_number"])),
    ("all_regions", 1),
    ("lookup_columns", json.dumps(["recipient_id_number"])),  # issue 13: match lookups are a signed term too
    ("columns", json.dumps(["recipient_id_number", "recipient_name", "amount", "township_code", "x"])),
    ("valid_until", "2099-01-01 00:00:00.000000"),
    ("max_rows_per_day", 10**9),
    ("partner_id", "hz-gongshu-jw"),
])
def test_a_grant_row_edited_after_approval_fails_audit_verify(hub: Hub, column: str, value: object) -> None:
    grant = _approved(hub)
    hub.raw().execute(f"UPDATE grants SET {column} = ? WHERE id = ?", (value, grant.id))  # noqa: S608
    report = hub.verify()
    assert not report.ok, f"`hub audit verify` says OK after grants.{column} was edited"
    assert grant.id in str(report.problems)


def test_a_grant_row_inserted_into_the_store_fails_audit_verify(hub: Hub) -> None:
    grant = _approved(hub)
    with hub.store.session() as session:
        forged = Grant(id="g-forged00", application_id=grant.application_id, partner_id="hz-gongshu-jw",
                       dataset_id=grant.dataset_id, purposes=list(grant.purposes), columns=list(grant.columns),
                       clear_columns=list(grant.columns), valid_from=grant.valid_from,
                       valid_until=grant.valid_until, max_rows_per_day=grant.max_rows_per_day, all_regions=True,
                       requested_by="partner:hz-gongshu-jw", created_at=NOW, approvals=list(grant.approvals))
        session.add(forged)
    report = hub.verify()
    assert not report.ok and "g-forged00" in str(report.problems)


def test_a_revoked_grant_reinstated_in_the_store_fails_audit_verify(hub: Hub) -> None:
    grant = _approved(hub)
    with hub.store.session() as session:
        hub.desk.revoke(session, hub.log.sink, grant.id, "sec-1", "case closed", now=NOW)
    assert hub.verify().ok
    hub.raw().execute("UPDATE grants SET revoked_at = NULL, revoked_by = NULL WHERE id = ?", (grant.id,))
    report = hub.verify()
    assert not report.ok and grant.id in str(report.problems)


def _implant(hub: Hub, officer: str, role: str, owner_of: str | None, created: datetime) -> KeySigner:
    """Add an officer and a key of the attacker's making straight into the store."""
    signer = KeySigner(Ed25519PrivateKey.generate())
    with hub.store.session() as session:
        session.add(Officer(id=officer, role=role, owner_of=owner_of, active=True, created_at=created))
        session.add(ClientKey(kid=signer.kid, client_id=f"officer:{officer}", algorithm=signer.algorithm,
                              public_key_pem=signer.public_pem().decode(), created_at=created))
    return signer


def test_officers_implanted_with_backdated_keys_fail_audit_verify(hub: Hub) -> None:
    """Two officers written into the store with keys 'registered' before the chain began to
    sign: the hub accepts their statements (it trusts its store), and verify must not."""
    signers = {"x-own": _implant(hub, "x-own", "owner", "finance", LONG_AGO),
               "x-sec": _implant(hub, "x-sec", "security", None, LONG_AGO)}
    app_id = hub.apply(clear_columns=("recipient_name", "recipient_id_number"))
    for officer, signer in signers.items():
        with hub.store.session() as session:
            app = session.get(Application, app_id)
            assert app is not None
            statement = statements.sign(signer, officer, "approve", f"application:{app_id}",
                                        statements.application_terms(app), audience=hub.desk.audience or "", now=NOW)
            workflow.decide(session, hub.log.sink, app_id, statement, now=NOW)
    assert hub.grant_of(app_id) is not None  # the hub believed its store
    report = hub.verify()
    assert not report.ok, "officers implanted in the store approved a grant and `hub audit verify` says OK"


def test_an_approval_of_earlier_terms_does_not_complete_an_edited_application(hub: Hub) -> None:
    """The owner approved terms T; someone with store access widens them; the security officer
    approves what it is shown.  No officer of the owner's side approved the widened terms."""
    app_id = hub.apply()
    hub.decide(app_id, "own-fin")
    hub.raw().execute("UPDATE applications SET clear_columns = ?, all_regions = 1 WHERE id = ?",
                      (json.dumps(["recipient_name", "recipient_id_number"]), app_id))
    hub.decide(app_id, "sec-1")
    assert hub.grant_of(app_id) is None, "a grant was made from two approvals of different terms"


def test_a_partner_widened_in_the_store_fails_audit_verify(hub: Hub) -> None:
    """A district partner becomes the province (or gains clearance) by an edit of its row:
    every grant it holds then reaches further than the officers approved."""
    assert hub.verify().ok
    hub.raw().execute("UPDATE partners SET jurisdiction = '330000', clearance = 4 WHERE id = 'hz-gongshu-jw'")
    report = hub.verify()
    assert not report.ok and "hz-gongshu-jw" in str(report.problems)


def test_a_lockdown_lifted_in_the_store_fails_audit_verify(hub: Hub) -> None:
    with hub.store.session() as session:
        hub.desk.lockdown(session, hub.log.sink, "hz-gongshu-jw", "sec-1", "extract on a forum", now=NOW)
    assert hub.verify().ok
    db = hub.raw()
    db.execute("UPDATE suspensions SET lifted_at = '2026-11-27 03:00:00.000000' WHERE partner_id = 'hz-gongshu-jw'")
    db.execute("UPDATE partners SET suspended = 0 WHERE id = 'hz-gongshu-jw'")
    report = hub.verify()
    assert not report.ok and "hz-gongshu-jw" in str(report.problems)


@pytest.mark.parametrize("edit", [
    "UPDATE dataset_suspensions SET lifted_at = '2026-11-27 03:00:00.000000' WHERE dataset_id = ?",
    "DELETE FROM dataset_suspensions WHERE dataset_id = ?",
])
def test_a_dataset_suspension_lifted_in_the_store_fails_audit_verify(hub: Hub, edit: str) -> None:
    """一键熔断 ends with two officers' signatures (`dataset.resumed`); ending it by an edit of the store
    lets every partner read the dataset again, and `hub audit verify` must tell."""
    from hub import circuit

    dataset = "finance.subsidy_payment"
    with hub.store.session() as session:
        statement = hub.desk.sign("sec-1", "suspend", f"dataset:{dataset}", statements.suspend_terms(dataset),
                                  note="extract on a forum", now=NOW)
        circuit.suspend(session, hub.log.sink, dataset, statement, now=NOW)
    assert hub.verify().ok
    hub.raw().execute(edit, (dataset,))
    report = hub.verify()
    assert not report.ok, "a dataset suspension ended in the store and `hub audit verify` says OK"
    assert dataset in str(report.problems)


def test_a_dataset_resumed_by_two_officers_verifies(hub: Hub) -> None:
    from hub import circuit

    dataset = "finance.subsidy_payment"
    with hub.store.session() as session:
        statement = hub.desk.sign("sec-1", "suspend", f"dataset:{dataset}", statements.suspend_terms(dataset),
                                  note="extract on a forum", now=NOW)
        suspension = circuit.suspend(session, hub.log.sink, dataset, statement, now=NOW)
        terms = statements.resume_terms(dataset, [suspension.id])
    for officer in ("sec-1", "own-fin"):
        with hub.store.session() as session:
            circuit.resume(session, hub.log.sink, dataset,
                           hub.desk.sign(officer, "resume", f"dataset:{dataset}", terms, now=NOW), now=NOW)
    with hub.store.session() as session:
        assert circuit.standing(session, dataset) == []
    report = hub.verify()
    assert report.ok, report.problems


def test_the_approval_of_an_officer_removed_since_neither_counts_nor_blocks(hub: Hub) -> None:
    """own-fin approves, then is removed (its keys revoked) by two other officers.  Its approval
    must not complete the two-person rule later, and must not wedge the application either."""
    from hub import officers
    from hub.store.models import ClientKey as Key

    app_id = hub.apply()
    hub.decide(app_id, "own-fin")
    with hub.store.session() as session:  # a third active officer so that removal is allowed
        hub.desk.enrol(session, hub.log.sink, "own-fin-2", "owner", "finance", by="sec-1", now=NOW)
        hub.desk.enrol(session, hub.log.sink, "own-fin-2", "owner", "finance", by="own-audit", now=NOW)
    with hub.store.session() as session:
        keys = [k.kid for k in session.query(Key).filter_by(client_id="officer:own-fin", revoked_at=None)]
        terms = statements.removal_terms("own-fin", "owner", "finance", keys)
        for by in ("sec-1", "own-audit"):
            officers.remove(session, hub.log.sink, "own-fin",
                            hub.desk.sign(by, "remove", "officer:own-fin", terms, now=NOW), now=NOW)
    hub.decide(app_id, "sec-1")  # neither an error nor a grant: own-fin's approval no longer stands
    assert hub.grant_of(app_id) is None
    hub.decide(app_id, "own-fin-2")
    grant = hub.grant_of(app_id)
    assert grant is not None and {a["officer"] for a in grant.approvals} == {"sec-1", "own-fin-2"}


def test_a_grant_record_naming_the_approvals_of_another_application_fails_audit_verify(hub: Hub) -> None:
    """A consistent rewrite of the chain's tail (no checkpoint covers it): the attacker appends a
    `grant.created` for application B, which only the owner approved, naming B's owner approval and
    the security officer's approval of application A.  Every statement named is genuine."""
    from tests.audit.test_tamper import _insert, _rehash, _row

    grant_a = _approved(hub)
    app_b = hub.apply(clear_columns=("recipient_name", "recipient_id_number"))
    hub.decide(app_b, "own-fin")
    db = hub.raw()
    owner_b = json.loads(db.execute("SELECT details FROM audit_records WHERE event = 'application.decided' "
                                    "AND json_extract(details, '$.application') = ?", (app_b,)).fetchone()[0])
    parsed = statements.parse(owner_b["signed"][0]["statement"])
    forged_approvals = [{**grant_a.approvals[0], "statement": parsed.id, "kid": parsed.kid},
                        next(a for a in grant_a.approvals if a["role"] == "security")]
    last = _row(db, db.execute("SELECT MAX(seq) FROM audit_records").fetchone()[0])
    template = _row(db, db.execute("SELECT seq FROM audit_records WHERE event = 'grant.created'").fetchone()[0])
    forged = {**template, "seq": last["seq"] + 1, "prev_hash": last["hash"], "grant": "g-forged01",
              "details": json.dumps({"application": app_b, "approvals": forged_approvals, "all_regions": False})}
    _insert(db, _rehash(db, forged))
    report = hub.verify()
    assert not report.ok, "a grant record made of another application's approvals verified"
    assert report.first_bad is not None and report.first_bad.seq == last["seq"] + 1


def _upgraded_hub(hub_home_path: object, implant: bool) -> tuple[Hub, str]:
    """A hub upgraded from a version that did not sign officer acts: two officers registered
    then (unsigned records naming their kids, keys in the store), who now sign.  With
    ``implant``, one of them is instead written into the store with a back-dated key and no
    record at all."""
    from pathlib import Path

    from hub.audit import AuditLog
    from hub.events import AuditEvent
    from hub.identity import register_partner
    from hub.settings import load_settings
    from hub.store import open_store
    from hub.store.models import Dataset, DatasetColumn
    from tests.officer_desk import Desk
    from tests.policy.helpers import COLUMNS

    home = Path(str(hub_home_path))
    settings = load_settings(home=home, audit_checkpoint_every=10_000, audit_checkpoint_seconds=3600)
    store = open_store(settings.metadata_url)
    log = AuditLog.from_settings(store, settings)
    desk = Desk()
    with store.session() as session:
        desk.of_hub(session)
    for officer, role, owner_of in (("old-own", "owner", "finance"), ("old-sec", "security", None)):
        signer = desk.signer(officer)
        with store.session() as session:
            session.add(Officer(id=officer, role=role, owner_of=owner_of, active=True, created_at=LONG_AGO))
            session.add(ClientKey(kid=signer.kid, client_id=f"officer:{officer}", algorithm=signer.algorithm,
                                  public_key_pem=signer.public_pem().decode(), created_at=LONG_AGO))
            if not (implant and officer == "old-sec"):
                log.sink(session, AuditEvent("officer.registered", subject=f"officer:{officer}", action="register",
                                             decision="ok", details={"role": role, "owner_of": owner_of,
                                                                     "kid": signer.kid}))
    with store.session() as session:
        register_partner(session, log.sink, "hz-xihu-jw", clearance=3, jurisdiction="330106",
                         purposes=["case-verification"])
        session.add(Dataset(id="finance.subsidy_payment", layer="source", provider="finance", level_inferred=3,
                            sharing_type_inferred="conditional", exchangeable=True, region_column="township_code"))
        session.flush()
        for position, (name, (pii, level)) in enumerate(COLUMNS.items()):
            session.add(DatasetColumn(dataset_id="finance.subsidy_payment", name=name, position=position,
                                      data_type="VARCHAR", pii_class=pii, level=level))
    up = Hub(home, store, log, desk)
    app_id = up.apply()
    up.decide(app_id, "old-own")
    up.decide(app_id, "old-sec")
    assert up.grant_of(app_id) is not None
    return up, app_id


def test_an_upgraded_hubs_officers_still_verify(hub_home: object) -> None:
    up, _app = _upgraded_hub(hub_home, implant=False)
    try:
        report = up.verify()
        assert report.ok, report.problems
        assert report.unsigned_officer_actions == 2 and report.officer_signatures == 2
    finally:
        up.log.close()
        up.store.dispose()


def test_a_back_dated_key_with_no_registration_record_fails_the_signature_check(hub_home: object) -> None:
    """Not only the store comparison: the approval's own signature is refused, since no record
    of the time registered that key (its `created_at` in the store proves nothing)."""
    up, _app = _upgraded_hub(hub_home, implant=True)
    try:
        report = up.verify()
        chain = [p for p in report.problems if p.where is None]
        assert chain and "officer:old-sec" in chain[0].what and "never registered" in chain[0].what, report.problems
    finally:
        up.log.close()
        up.store.dispose()


def _pending_app(hub: Hub, when: datetime) -> str:
    from tests.policy.helpers import request

    with hub.store.session() as session:
        return workflow.apply(session, hub.log.sink, request(), now=when).id


def test_a_first_approval_older_than_the_pending_bound_does_not_complete_the_rule(hub: Hub) -> None:
    """An owner approved months ago, for a need that may be gone; a security officer approving today
    must not turn that into a grant.  The late approval is refused with the reason, and the owner
    approves afresh."""
    from datetime import timedelta

    from hub.errors import Conflict

    app_id = _pending_app(hub, NOW - timedelta(days=9))
    with hub.store.session() as session:
        hub.desk.decide(session, hub.log.sink, app_id, "own-fin", now=NOW - timedelta(days=8))
    with pytest.raises(Conflict) as late, hub.store.session() as session:  # refused: the transaction rolls back
        hub.desk.decide(session, hub.log.sink, app_id, "sec-1", now=NOW)
    assert "own-fin" in str(late.value) and "expired" in str(late.value) and "HUB_PENDING_SIGNATURE_DAYS" in str(
        late.value)
    assert hub.grant_of(app_id) is None, "a grant was made from an approval older than the pending bound"
    with hub.store.session() as session:  # the owner approves again (its expired approval no longer blocks it)
        hub.desk.decide(session, hub.log.sink, app_id, "own-fin", now=NOW)
    assert hub.grant_of(app_id) is None
    hub.decide(app_id, "sec-1")
    grant = hub.grant_of(app_id)
    assert grant is not None and {a["officer"] for a in grant.approvals} == {"own-fin", "sec-1"}
    assert hub.verify().ok


def test_the_pending_bound_is_a_setting(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from hub.settings import get_settings

    monkeypatch.setenv("HUB_PENDING_SIGNATURE_DAYS", "30")
    get_settings.cache_clear()
    try:
        app_id = _pending_app(hub, NOW - timedelta(days=9))
        with hub.store.session() as session:
            hub.desk.decide(session, hub.log.sink, app_id, "own-fin", now=NOW - timedelta(days=8))
        hub.decide(app_id, "sec-1")
        assert hub.grant_of(app_id) is not None
    finally:
        monkeypatch.delenv("HUB_PENDING_SIGNATURE_DAYS")
        get_settings.cache_clear()
