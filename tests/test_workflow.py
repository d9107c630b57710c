"""The application → approval → grant workflow against real SQLite (and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub import statements, workflow
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.events import AuditEvent, discard
from hub.hubid import hub_id
from hub.signers import KeySigner
from hub.statements import StatementInvalid, StatementRefused, application_terms
from hub.store import Store, open_store
from hub.store.models import Application, Approval, Grant, OfficerStatement, Partner
from tests.officer_desk import Desk
from tests.policy.helpers import NOW, request, seed


class Recorder:
    """An EventSink that keeps the events (and checks it gets the caller's session)."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def __call__(self, session, event: AuditEvent) -> None:  # type: ignore[no-untyped-def]
        assert session.in_transaction()
        self.events.append(event)


@pytest.fixture
def store(hub_home: Path) -> Store:
    s = open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")
    return s


@pytest.fixture
def desk(store: Store) -> Desk:
    with store.session() as session:
        return seed(session)


def _approved(store: Store, desk: Desk, sink=discard) -> str:  # type: ignore[no-untyped-def]
    with store.session() as session:
        app = workflow.apply(session, sink, request(), now=NOW)
        desk.decide(session, sink, app.id, "own-fin", "approve", "owner ok", now=NOW)
        desk.decide(session, sink, app.id, "sec-1", "approve", "security ok", now=NOW + timedelta(minutes=3))
        grant = session.query(Grant).filter_by(application_id=app.id).one()
        return grant.id


def test_two_approvals_create_a_grant_with_events(store: Store, desk: Desk) -> None:
    sink = Recorder()
    grant_id = _approved(store, desk, sink)
    with store.session() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None and grant.purposes == ["case-verification"]
        assert {a["role"] for a in grant.approvals} == {"owner", "security"}
        assert grant.approvals[0]["owner_of"] == "finance"
        assert grant.clear_columns == ["recipient_name"]
    names = [e.event for e in sink.events]
    assert names == ["application.created", "application.decided", "application.decided", "grant.created"]
    decided = sink.events[1]
    assert decided.subject == "officer:own-fin" and decided.reasons == ["owner ok"]
    [evidence] = decided.details["signed"]
    assert evidence["kid"] == desk.signer("own-fin").kid and evidence["statement"].count(".") == 2


def test_each_approval_records_its_own_time(store: Store, desk: Desk) -> None:
    grant_id = _approved(store, desk)
    with store.session() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None
        times = {a["officer"]: a["at"] for a in grant.approvals}
        kids = {a["officer"]: a["kid"] for a in grant.approvals}
    assert times == {"own-fin": NOW.isoformat(), "sec-1": (NOW + timedelta(minutes=3)).isoformat()}
    assert kids == {"own-fin": desk.signer("own-fin").kid, "sec-1": desk.signer("sec-1").kid}


def test_one_approval_is_not_a_grant(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        desk.decide(session, discard, app.id, "sec-1", "approve", now=NOW)
        assert app.status == "pending"
        assert session.query(Grant).count() == 0


def test_the_same_key_twice_leaves_the_application_pending(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app_id = workflow.apply(session, discard, request(), now=NOW).id
        desk.decide(session, discard, app_id, "own-fin", "approve", now=NOW)
    with store.session() as session, pytest.raises(Conflict, match="already decided"):
        desk.decide(session, discard, app_id, "own-fin", "approve", now=NOW)
    # the same key again, now claiming to be the security officer: refused as well
    with store.session() as session, pytest.raises(StatementRefused, match="not a registered key of officer `sec-1`"):
        app = session.get(Application, app_id)
        assert app is not None
        workflow.decide(session, discard, app_id, desk.sign("sec-1", "approve", f"application:{app_id}",
                                                            application_terms(app), now=NOW,
                                                            key=desk.signer("own-fin")), now=NOW)
    with store.session() as session:
        assert session.get(Application, app_id).status == "pending"  # type: ignore[union-attr]
        assert session.query(Grant).count() == 0
        assert [a.officer_id for a in workflow.approvals_of(session, app_id)] == ["own-fin"]


def test_a_forged_signature_is_refused(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        good = desk.sign("sec-1", "approve", f"application:{app.id}", application_terms(app), now=NOW)
        head, claims, signature = good.split(".")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        with pytest.raises(StatementRefused, match="does not verify"):
            workflow.decide(session, discard, app.id, f"{head}.{claims}.{flipped}", now=NOW)
        # a key the officer does not hold, presented under the officer's registered kid
        impostor = KeySigner(Ed25519PrivateKey.generate())
        claims_doc = statements.claims_for("sec-1", "approve", f"application:{app.id}", application_terms(app),
                                           audience=hub_id(session), now=NOW)
        forged = statements.sign_claims(_Named(impostor, desk.signer("sec-1").kid), claims_doc)
        with pytest.raises(StatementRefused, match="does not verify"):
            workflow.decide(session, discard, app.id, forged, now=NOW)
        assert app.status == "pending"


class _Named:
    """A signer that claims another key's kid (what a forger would send)."""

    def __init__(self, inner: KeySigner, kid: str) -> None:
        self.inner, self.kid, self.algorithm = inner, kid, inner.algorithm

    def public_pem(self) -> bytes:
        return self.inner.public_pem()

    def sign(self, data: bytes) -> bytes:
        return self.inner.sign(data)


def test_the_key_of_an_officer_who_is_not_enrolled_is_refused(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        ghost = desk.sign("ghost", "approve", f"application:{app.id}", application_terms(app), now=NOW)
        with pytest.raises(StatementRefused, match="officer `ghost` is not enrolled"):
            workflow.decide(session, discard, app.id, ghost, now=NOW)
        assert session.query(Approval).count() == 0


@pytest.mark.parametrize(("change", "message"), [
    ({"clear_columns": ["recipient_name", "recipient_id_number"]}, "other terms"),
    ({"max_rows_per_day": 10**6}, "other terms"),
    ({"valid_until": (NOW + timedelta(days=3650)).isoformat()}, "other terms"),
])
def test_a_statement_over_other_terms_is_refused(store: Store, desk: Desk, change: dict[str, object],
                                                 message: str) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        terms = {**application_terms(app), **change}
        with pytest.raises(StatementRefused, match=message):
            workflow.decide(session, discard, app.id,
                            desk.sign("sec-1", "approve", f"application:{app.id}", terms, now=NOW), now=NOW)


def test_application_terms_cover_every_column_but_the_workflow_state(store: Store) -> None:
    from sqlalchemy import inspect

    with store.session() as session:
        seed(session)
        app = workflow.apply(session, discard, request(), now=NOW)
        terms = application_terms(app)
    columns = {c.key for c in inspect(Application).column_attrs}
    assert set(terms) == columns - {"status", "decided_at"}
    assert terms["clear_columns"] == ["recipient_name"] and terms["max_rows_per_day"] == 1000


def test_replayed_late_and_misdirected_statements_are_refused(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        other = workflow.apply(session, discard, request(), now=NOW)
        terms = application_terms(app)
        target = f"application:{app.id}"
        late = desk.sign("sec-1", "approve", target, terms, now=NOW - timedelta(minutes=10))
        with pytest.raises(StatementRefused, match="more than 300 s"):
            workflow.decide(session, discard, app.id, late, now=NOW)
        with pytest.raises(StatementRefused, match=f"not `application:{other.id}`"):
            workflow.decide(session, discard, other.id, desk.sign("sec-1", "approve", target, terms, now=NOW),
                            now=NOW)
        statement = desk.sign("sec-1", "approve", target, terms, now=NOW)
        workflow.decide(session, discard, app.id, statement, now=NOW)
    with store.session() as session, pytest.raises(StatementRefused, match="replay"):
        workflow.decide(session, discard, app.id, statement, now=NOW)


def test_an_access_token_is_not_a_statement(store: Store, desk: Desk) -> None:
    import jwt

    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        key = desk.signer("sec-1")
        claims = statements.claims_for("sec-1", "approve", f"application:{app.id}", application_terms(app),
                                       audience=hub_id(session), now=NOW)
        token = jwt.encode(claims, key._key, algorithm="EdDSA", headers={"kid": key.kid})  # typ JWT
        with pytest.raises(StatementInvalid, match="typ"):
            workflow.decide(session, discard, app.id, token, now=NOW)


def test_requester_cannot_approve_own_application(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(requested_by="officer:sec-1"), now=NOW)
        with pytest.raises(Forbidden, match="requested application"):
            desk.decide(session, discard, app.id, "sec-1", "approve", now=NOW)


def test_owner_of_another_provider_cannot_approve(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        with pytest.raises(Forbidden, match="speaks for `audit`"):
            desk.decide(session, discard, app.id, "own-audit", "approve", now=NOW)


def test_reject_ends_the_application(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        desk.decide(session, discard, app.id, "sec-1", "reject", "no case number", now=NOW)
        assert app.status == "rejected"
        assert workflow.approvals_of(session, app.id)[0].comment == "no case number"
        with pytest.raises(Conflict, match="already rejected"):
            desk.decide(session, discard, app.id, "own-fin", "approve", now=NOW)


@pytest.mark.parametrize(("overrides", "error", "message"), [
    ({"dataset": "finance.nothing"}, NotFound, "`finance.nothing` is not available for exchange"),
    ({"partner": "nobody"}, NotFound, "nobody"),
    ({"dataset": "raw_finance.payroll"}, NotFound, "`raw_finance.payroll` is not available for exchange"),
    ({"purpose": "marketing"}, Forbidden, "marketing"),
    ({"columns": ["salary"], "clear_columns": ()}, BadRequest, "salary"),
    ({"clear_columns": ("recipient_id_number",), "columns": ["amount"]}, BadRequest, "clear column"),
    ({"valid_until": NOW - timedelta(days=60)}, BadRequest, "before valid_until"),
    ({"max_rows_per_day": 0}, BadRequest, "max_rows_per_day"),
])
def test_bad_applications_name_the_problem(store: Store, desk: Desk, overrides, error, message) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session, pytest.raises(error, match=message):
        workflow.apply(session, discard, request(**overrides), now=NOW)


def test_unknown_application_and_action(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        statement = desk.sign("sec-1", "approve", f"application:{app.id}", application_terms(app), now=NOW)
        with pytest.raises(NotFound, match="app-missing"):
            workflow.decide(session, discard, "app-missing", statement, now=NOW)
        with pytest.raises(StatementInvalid, match="maybe"):
            desk.decide(session, discard, app.id, "sec-1", "maybe", now=NOW)
        revoke = desk.sign("sec-1", "revoke", f"application:{app.id}", application_terms(app), now=NOW)
        with pytest.raises(StatementRefused, match="signs action `revoke`"):
            workflow.decide(session, discard, app.id, revoke, now=NOW)


def test_revoke_and_lockdown(store: Store, desk: Desk) -> None:
    grant_id = _approved(store, desk)
    sink = Recorder()
    with store.session() as session:
        desk.revoke(session, sink, grant_id, "sec-1", "case closed", now=NOW)
        with pytest.raises(Conflict, match="already revoked"):
            desk.revoke(session, sink, grant_id, "sec-1", now=NOW)
        with pytest.raises(NotFound):
            desk.revoke(session, sink, "g-none", "sec-1", now=NOW)
        desk.lockdown(session, sink, "hz-xihu-jw", "sec-1", "leaked extract", now=NOW)
        assert session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
        assert workflow.list_grants(session) == []
        assert len(workflow.list_grants(session, include_revoked=True)) == 1
        assert session.get(Grant, grant_id).revoked_by == "officer:sec-1"  # type: ignore[union-attr]
    assert [e.event for e in sink.events] == ["grant.revoked", "partner.lockdown"]
    assert sink.events[1].reasons == ["leaked extract"] and sink.events[1].details["signed"]


def test_only_a_security_officer_locks_down_and_always_with_a_reason(store: Store, desk: Desk) -> None:
    with store.session() as session:
        with pytest.raises(Forbidden, match="only security officers"):
            desk.lockdown(session, discard, "hz-xihu-jw", "own-fin", "leak", now=NOW)
        with pytest.raises(BadRequest, match="needs a reason"):
            desk.lockdown(session, discard, "hz-xihu-jw", "sec-1", "  ", now=NOW)
        with pytest.raises(NotFound, match="nobody"):
            desk.lockdown(session, discard, "nobody", "sec-1", "leak", now=NOW)


def test_lifting_a_lockdown_needs_two_officers(store: Store, desk: Desk) -> None:
    sink = Recorder()
    with store.session() as session:
        with pytest.raises(Conflict, match="not locked down"):
            desk.lift(session, sink, "hz-xihu-jw", "sec-1", now=NOW)
        desk.lockdown(session, sink, "hz-xihu-jw", "sec-1", "leaked extract", now=NOW)
        assert desk.lift(session, sink, "hz-xihu-jw", "sec-1", now=NOW) is None
        assert desk.lift(session, sink, "hz-xihu-jw", "sec-1", now=NOW) is None  # the same officer again
        assert session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
        lifted = desk.lift(session, sink, "hz-xihu-jw", "own-fin", now=NOW)
        assert lifted and all(s.lifted_at == NOW for s in lifted)
        assert not session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
        assert workflow.open_lockdowns(session, "hz-xihu-jw") == []
    assert [e.event for e in sink.events] == ["partner.lockdown", "officer.signed", "officer.signed",
                                              "partner.lockdown_lifted"]
    assert len(sink.events[-1].details["signed"]) == 2


def test_a_lift_signed_for_an_earlier_lockdown_does_not_count(store: Store, desk: Desk) -> None:
    with store.session() as session:
        desk.lockdown(session, discard, "hz-xihu-jw", "sec-1", "first", now=NOW)
        stale = desk.sign("own-fin", "lift", "partner:hz-xihu-jw",
                          statements.lift_terms("hz-xihu-jw", [s.id for s in workflow.open_lockdowns(
                              session, "hz-xihu-jw")]), now=NOW)
        desk.lockdown(session, discard, "hz-xihu-jw", "sec-1", "second", now=NOW)
        with pytest.raises(StatementRefused, match="other terms"):
            workflow.lift(session, discard, "hz-xihu-jw", stale, now=NOW)


def test_a_failing_sink_rolls_back_the_change(store: Store, desk: Desk) -> None:
    grant_id = _approved(store, desk)

    def broken(session, event):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit log down")

    with pytest.raises(RuntimeError), store.session() as session:
        desk.revoke(session, broken, grant_id, "sec-1", now=NOW)
    with store.session() as session:
        assert session.get(Grant, grant_id).revoked_at is None  # type: ignore[union-attr]
        assert session.query(OfficerStatement).filter_by(action="revoke").count() == 0


def test_expire_pending_applications(store: Store, desk: Desk) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        assert workflow.expire(session, discard, now=NOW) == []
        assert workflow.expire(session, discard, now=NOW + timedelta(days=400)) == [app.id]
        assert session.get(Application, app.id).status == "expired"  # type: ignore[union-attr]


@pytest.mark.postgres
def test_workflow_on_postgres(postgres_url: str) -> None:
    pg = open_store(postgres_url)
    try:
        with pg.session() as session:
            desk = seed(session)
        grant_id = _approved(pg, desk)
        with pg.session() as session:
            assert [g.id for g in workflow.list_grants(session)] == [grant_id]
            desk.revoke(session, discard, grant_id, "sec-1", now=NOW)
    finally:
        pg.dispose()


def test_lookup_columns_travel_from_application_to_grant_and_policy_data(store: Store, desk: Desk) -> None:
    from hub.policy.data import build_policy_data

    with store.session() as session:
        with pytest.raises(BadRequest, match="lookup column `amount` is not among the requested columns"):
            workflow.apply(session, discard, request(columns=["recipient_id_number"], clear_columns=(),
                                                     lookup_columns=("amount",)), now=NOW)
        with pytest.raises(BadRequest, match="no column `salary`"):
            workflow.apply(session, discard, request(lookup_columns=("salary",)), now=NOW)
        app = workflow.apply(session, discard, request(lookup_columns=("recipient_id_number",)), now=NOW)
        assert app.lookup_columns == ["recipient_id_number"]
        assert application_terms(app)["lookup_columns"] == ["recipient_id_number"]  # a term the approvers sign
        desk.decide(session, discard, app.id, "own-fin", "approve", now=NOW)
        desk.decide(session, discard, app.id, "sec-1", "approve", now=NOW + timedelta(minutes=3))
        grant = session.query(Grant).filter_by(application_id=app.id).one()
        assert grant.lookup_columns == ["recipient_id_number"]
        data = build_policy_data(session, NOW)
    assert data["grants"][grant.id]["lookup_columns"] == ["recipient_id_number"]
    with store.session() as session:
        assert session.get(Grant, _approved(store, desk)).lookup_columns == []  # none unless asked for
