"""Issue 23, point 4: errors that say what happened instead of looking like "no data".

Filter values are read by the column's type (400 naming column, operator and the
expected form; ``in`` takes ``|``); a store error on any route is a 503 with
``Retry-After``; a policy point that cannot decide is a 503 on the catalog and audit
routes too (not an empty catalog or a 403); ``/readyz`` is not ready while audit
WRITES fail, even though the store still answers reads, and comes back by itself.
The PostgreSQL outage under traffic is ``test_store_outage.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select, text

from hub.audit import verify_chain
from hub.exchange.service import Exchange
from hub.keys import KeyStore
from hub.policy import OpaEngine, PolicyPoint, StoreData, load_policies
from hub.store.models import AuditRecord
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, SUBSIDY_CLEAR, World, _register, bearer, grant, subsidy_columns

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PURPOSE = {"purpose": "case-verification"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


# --- filters parsed by type -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def dated(world: World, http: AsgiClient) -> dict[str, str]:
    """A province partner that also sees `paid_at` (TIMESTAMP) in clear."""
    _register(world, "partner", "dated", clearance=3, jurisdiction="330000", purposes=["case-verification"])
    grant(world, "dated", SUBSIDY, "case-verification", subsidy_columns(world), [*SUBSIDY_CLEAR, "paid_at"])
    return bearer(http, world.clients["dated"])



@pytest.mark.parametrize(("flt", "column", "op", "expected"), [
    ("amount:gt:abc", "amount", "gt", "`1234.55`"),
    ("amount:ge:12.345", "amount", "ge", "2 decimal places"),
    ("paid_at:gt:2026-13-45", "paid_at", "gt", "`2026-10-31T09:30:00` or `2026-10-31`"),
    ("paid_at:lt:yesterday", "paid_at", "lt", "`2026-10-31`"),
    ("payment_id:eq:12a", "payment_id", "eq", "`42`"),
    ("payment_id:in:23|x|25", "payment_id", "in", "value 2 of 3"),
    ("payment_id:eq:99999999999999999999999", "payment_id", "eq", "out of range"),
])
def test_a_value_that_does_not_parse_is_a_400_naming_column_op_and_form(
        http: AsgiClient, dated: dict[str, str], flt: str, column: str, op: str, expected: str) -> None:
    detail = str(_problem(http.get(ROWS, params={**PURPOSE, "filter": flt}, headers=dated), 400)["detail"])
    assert f"`{column}`" in detail and f"(op `{op}`)" in detail and expected in detail, detail
    assert flt.split(":", 2)[2] not in detail  # the submitted value is not echoed


def test_a_bad_filter_after_the_allow_is_recorded_as_not_delivered(world: World, http: AsgiClient,
                                                                   dated: dict[str, str]) -> None:
    """The filter's types are read once the policy allowed (a partner without a grant must not learn
    the schema): the decision record keeps `allow` and says why nothing left, and no delivery follows."""
    with world.store.session() as session:
        top = session.scalar(select(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1))
    _problem(http.get(ROWS, params={**PURPOSE, "filter": "amount:gt:abc"}, headers=dated), 400)
    with world.store.session() as session:
        after = list(session.scalars(select(AuditRecord).where(AuditRecord.seq > top,
                                                               AuditRecord.subject == "partner:dated")))
    assert [(r.event, r.decision, r.rows) for r in after] == [("data.decision", "allow", None)]
    last = after[0].reasons[-1]
    assert last == "not delivered: 400 bad request (parameter `filter`)", after[0].reasons
    assert after[0].reasons[0].startswith("rule grant:")
    assert verify_chain(world.store, KeyStore(world.settings.keys_dir)).ok


@pytest.mark.parametrize("separator", [",", ";"])
def test_in_with_another_separator_says_to_use_the_pipe(http: AsgiClient, auth: dict[str, dict[str, str]],
                                                        separator: str) -> None:
    flt = f"payment_id:in:23{separator}24"
    detail = str(_problem(http.get(ROWS, params={**PURPOSE, "filter": flt}, headers=auth["zj-province"]),
                          400)["detail"])
    assert "separated by `|`" in detail and f"not `{separator}`" in detail


def _rows(http: AsgiClient, headers: dict[str, str], *filters: str, limit: int = 1000) -> list[dict[str, Any]]:
    response = http.get(ROWS, params={**PURPOSE, "filter": list(filters), "limit": limit}, headers=headers)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def test_typed_filters_select_what_they_say(http: AsgiClient, dated: dict[str, str]) -> None:
    province = dated
    ids = [r["payment_id"] for r in _rows(http, province, limit=5)]
    picked = _rows(http, province, f"payment_id:in:{ids[1]}|{ids[3]}")
    assert sorted(r["payment_id"] for r in picked) == sorted([ids[1], ids[3]])
    assert all(float(r["amount"]) > 500 for r in _rows(http, province, "amount:gt:500.00"))
    assert _rows(http, province, "amount:gt:500") == _rows(http, province, "amount:gt:500.00")
    periods = {r["period"] for r in _rows(http, province, "period:in:2026-01|2026-02")}
    assert periods <= {"2026-01", "2026-02"}
    paid = sorted(r["paid_at"] for r in _rows(http, province))
    middle = paid[len(paid) // 2][:10]
    later = _rows(http, province, f"paid_at:ge:{middle}")
    assert later and all(r["paid_at"][:10] >= middle for r in later)
    assert len(later) < len(paid)


def test_the_in_syntax_is_in_the_openapi_description(http: AsgiClient) -> None:
    params = http.get("/openapi.json").json()["paths"]["/v1/datasets/{dataset}/rows"]["get"]["parameters"]
    described = next(p for p in params if p["name"] == "filter")["description"]
    assert "separated by `|`" in described and "payment_id:in:23|24|25" in described


# --- a store error on any route ------------------------------------------------------------------


def test_a_store_error_anywhere_is_a_503_with_retry_after(world: World) -> None:
    app = world.app()

    @app.get("/test/store-down")
    def store_down() -> None:  # what psycopg / sqlite3 raise through SQLAlchemy when the store is gone
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    @app.get("/test/pool-exhausted")
    def pool_exhausted() -> None:
        raise sa_exc.TimeoutError("QueuePool limit reached")

    @app.get("/test/integrity")
    def integrity() -> None:  # a fault of the hub, not of the store: stays a 500
        raise sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate key"))

    with AsgiClient(app) as client:
        for path in ("/test/store-down", "/test/pool-exhausted"):
            response = client.get(path)
            body = _problem(response, 503)
            assert response.headers["retry-after"] == "5" and "retry later" in body["detail"]
            assert "connection refused" not in response.text
        assert _problem(client.get("/test/integrity"), 500)["detail"].startswith("internal error")


# --- a policy point that cannot decide -----------------------------------------------------------


@pytest.fixture
def engine_down(world: World) -> Iterator[AsgiClient]:
    """The world's app with its policy point on an OPA server that does not answer."""
    app = world.app()
    point = PolicyPoint(OpaEngine("http://127.0.0.1:9", 0.5), load_policies(), StoreData(world.store))
    app.state.exchange = Exchange(world.settings, world.store, world.audit.append,
                                  KeyStore(world.settings.keys_dir), point)
    with AsgiClient(app) as client:
        yield client


@pytest.mark.parametrize("path", ["/v1/catalog", f"/v1/catalog/{SUBSIDY}", "/v1/audit", ROWS])
def test_a_policy_point_that_cannot_decide_is_a_503_not_a_refusal(world: World, engine_down: AsgiClient,
                                                                  path: str) -> None:
    response = engine_down.get(path, params=PURPOSE, headers=bearer(engine_down, world.clients["hz-xihu-jw"]))
    _problem(response, 503)
    assert response.headers["retry-after"] == "5"


def test_simulating_on_a_policy_point_that_cannot_decide_is_a_503(world: World, engine_down: AsgiClient) -> None:
    body = {"subject": {"id": "partner:hz-xihu-jw", "kind": "partner"}, "action": "describe",
            "resource": {"dataset": SUBSIDY}}
    response = engine_down.post("/v1/decisions/simulate", json=body,
                                headers=bearer(engine_down, world.clients["sec-1"]))
    _problem(response, 503)
    assert response.headers["retry-after"] == "5"


# --- readiness while audit writes fail -----------------------------------------------------------


FAIL_AUDIT = ("CREATE TRIGGER test_fail_audit BEFORE INSERT ON audit_records "
              "BEGIN SELECT RAISE(ABORT, 'injected: the audit disk is full'); END")


class AuditFault:
    """A real fault in the real store: every INSERT into the audit table fails, reads still work."""

    def __init__(self, world: World) -> None:
        self.engine = world.store.engine

    def inject(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text(FAIL_AUDIT))

    def repair(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS test_fail_audit"))


@pytest.fixture
def audit_fault(world: World) -> Iterator[AuditFault]:
    fault = AuditFault(world)
    yield fault
    fault.repair()


def _recovered(world: World) -> list[AuditRecord]:
    with world.store.session() as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.event == "audit.recovered")))


def test_readyz_is_not_ready_while_audit_writes_fail_and_recovers_alone(world: World,
                                                                        audit_fault: AuditFault) -> None:
    with AsgiClient(world.app()) as client:
        headers = bearer(client, world.clients["zj-province"])  # before the fault
        assert client.get("/readyz").status_code == 200
        audit_fault.inject()
        before = len(_recovered(world))
        response = client.get(ROWS, params=PURPOSE, headers=headers)
        _problem(response, 503)
        assert "rows" not in response.text and response.headers["retry-after"] == "5"
        assert client.get("/v1/catalog", headers=headers).status_code == 200  # the store still reads
        for _ in range(2):  # stays not ready: the probe's own append fails too
            body = _problem(client.get("/readyz"), 503)
            assert body["checks"]["audit"] is False and body["checks"]["store"] is True
        audit_fault.repair()  # the fault is repaired; nobody sends traffic
        assert client.get("/readyz").status_code == 200
        recovered = _recovered(world)[before:]
        assert len(recovered) == 1 and recovered[0].details["failed_since"]
        assert "audit disk is full" in recovered[0].details["error"]
        assert client.get(ROWS, params=PURPOSE, headers=headers).status_code == 200
    report = verify_chain(world.store, KeyStore(world.settings.keys_dir))
    assert report.ok, report.summary()

