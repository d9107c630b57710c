"""The application → approval → grant workflow against real SQLite (and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from hub import workflow
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.events import AuditEvent, discard
from hub.store import Store, open_store
from hub.store.models import Application, Grant, Partner
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
    with s.session() as session:
        seed(session)
    return s


def _approved(store: Store, sink=discard) -> str:  # type: ignore[no-untyped-def]
    with store.session() as session:
        app = workflow.apply(session, sink, request(), now=NOW)
        workflow.decide(session, sink, app.id, "own-fin", "approve", "owner ok", now=NOW)
        workflow.decide(session, sink, app.id, "sec-1", "approve", "security ok", now=NOW)
        grant = session.query(Grant).filter_by(application_id=app.id).one()
        return grant.id


def test_two_approvals_create_a_grant_with_events(store: Store) -> None:
    sink = Recorder()
    grant_id = _approved(store, sink)
    with store.session() as session:
        grant = session.get(Grant, grant_id)
        assert grant is not None and grant.purposes == ["case-verification"]
        assert {a["role"] for a in grant.approvals} == {"owner", "security"}
        assert grant.approvals[0]["owner_of"] == "finance"
        assert grant.clear_columns == ["recipient_name"]
    names = [e.event for e in sink.events]
    assert names == ["application.created", "application.decided", "grant.created", "application.decided"]


def test_one_approval_is_not_a_grant(store: Store) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        workflow.decide(session, discard, app.id, "sec-1", "approve", now=NOW)
        assert app.status == "pending"
        assert session.query(Grant).count() == 0


def test_same_officer_cannot_decide_twice(store: Store) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        workflow.decide(session, discard, app.id, "own-fin", "approve", now=NOW)
        with pytest.raises(Conflict, match="already decided"):
            workflow.decide(session, discard, app.id, "own-fin", "approve", now=NOW)


def test_requester_cannot_approve_own_application(store: Store) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(requested_by="officer:sec-1"), now=NOW)
        with pytest.raises(Forbidden, match="requested application"):
            workflow.decide(session, discard, app.id, "sec-1", "approve", now=NOW)


def test_owner_of_another_provider_cannot_approve(store: Store) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        with pytest.raises(Forbidden, match="speaks for `audit`"):
            workflow.decide(session, discard, app.id, "own-audit", "approve", now=NOW)


def test_reject_ends_the_application(store: Store) -> None:
    with store.session() as session:
        app = workflow.apply(session, discard, request(), now=NOW)
        workflow.decide(session, discard, app.id, "sec-1", "reject", "no case number", now=NOW)
        assert app.status == "rejected"
        with pytest.raises(Conflict, match="already rejected"):
            workflow.decide(session, discard, app.id, "own-fin", "approve", now=NOW)


@pytest.mark.parametrize(("overrides", "error", "message"), [
    ({"dataset": "finance.nothing"}, NotFound, "finance.nothing"),
    ({"partner": "nobody"}, NotFound, "nobody"),
    ({"dataset": "raw_finance.payroll"}, Forbidden, "never exchanged"),
    ({"purpose": "marketing"}, Forbidden, "marketing"),
    ({"columns": ["salary"], "clear_columns": ()}, BadRequest, "salary"),
    ({"clear_columns": ("recipient_id_number",), "columns": ["amount"]}, BadRequest, "clear column"),
    ({"valid_until": NOW - timedelta(days=60)}, BadRequest, "before valid_until"),
    ({"max_rows_per_day": 0}, BadRequest, "max_rows_per_day"),
])
def test_bad_applications_name_the_problem(store: Store, overrides, error, message) -> None:  # type: ignore[no-untyped-def]
    with store.session() as session, pytest.raises(error, match=message):
        workflow.apply(session, discard, request(**overrides), now=NOW)


def test_unknown_application_and_officer(store: Store) -> None:
    with store.session() as session:
        with pytest.raises(NotFound, match="app-missing"):
            workflow.decide(session, discard, "app-missing", "sec-1", "approve")
        app = workflow.apply(session, discard, request(), now=NOW)
        with pytest.raises(NotFound, match="ghost"):
            workflow.decide(session, discard, app.id, "ghost", "approve")
        with pytest.raises(BadRequest, match="maybe"):
            workflow.decide(session, discard, app.id, "sec-1", "maybe")


def test_revoke_and_lockdown(store: Store) -> None:
    grant_id = _approved(store)
    sink = Recorder()
    with store.session() as session:
        workflow.revoke(session, sink, grant_id, "officer:sec-1", "case closed")
        with pytest.raises(Conflict, match="already revoked"):
            workflow.revoke(session, sink, grant_id, "officer:sec-1")
        with pytest.raises(NotFound):
            workflow.revoke(session, sink, "g-none", "officer:sec-1")
        workflow.lockdown(session, sink, "hz-xihu-jw", "officer:sec-1", "leaked extract")
        assert session.get(Partner, "hz-xihu-jw").suspended  # type: ignore[union-attr]
        assert workflow.list_grants(session) == []
        assert len(workflow.list_grants(session, include_revoked=True)) == 1
    assert [e.event for e in sink.events] == ["grant.revoked", "partner.lockdown"]


def test_a_failing_sink_rolls_back_the_change(store: Store) -> None:
    grant_id = _approved(store)

    def broken(session, event):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit log down")

    with pytest.raises(RuntimeError), store.session() as session:
        workflow.revoke(session, broken, grant_id, "officer:sec-1")
    with store.session() as session:
        assert session.get(Grant, grant_id).revoked_at is None  # type: ignore[union-attr]


def test_expire_pending_applications(store: Store) -> None:
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
            seed(session)
        grant_id = _approved(pg)
        with pg.session() as session:
            assert [g.id for g in workflow.list_grants(session)] == [grant_id]
            workflow.revoke(session, discard, grant_id, "officer:sec-1")
    finally:
        pg.dispose()


def test_lookup_columns_travel_from_application_to_grant_and_policy_data(store: Store) -> None:
    from hub.policy.data import build_policy_data

    with store.session() as session:
        with pytest.raises(BadRequest, match="lookup column `amount` is not among the requested columns"):
            workflow.apply(session, discard, request(columns=["recipient_id_number"], clear_columns=(),
                                                     lookup_columns=("amount",)), now=NOW)
        with pytest.raises(BadRequest, match="no column `salary`"):
            workflow.apply(session, discard, request(lookup_columns=("salary",)), now=NOW)
        app = workflow.apply(session, discard, request(lookup_columns=("recipient_id_number",)), now=NOW)
        assert app.lookup_columns == ["recipient_id_number"]
        workflow.decide(session, discard, app.id, "own-fin", "approve", now=NOW)
        workflow.decide(session, discard, app.id, "sec-1", "approve", now=NOW)
        grant = session.query(Grant).filter_by(application_id=app.id).one()
        assert grant.lookup_columns == ["recipient_id_number"]
        data = build_policy_data(session, NOW)
    assert data["grants"][grant.id]["lookup_columns"] == ["recipient_id_number"]
    with store.session() as session:
        assert session.get(Grant, _approved(store)).lookup_columns == []  # none unless asked for
