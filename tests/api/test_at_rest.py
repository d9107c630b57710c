"""Issue 17's must-show: no clear personal value anywhere under HUB_HOME, yet served to a partner cleared for it.

The session pipeline ran (ingest → SQLMesh → catalog → publish) on the sandbox; this
module's world copies that HUB_HOME, registers partners and officers and approves a
grant that releases ``finance.subsidy_payment``'s ID numbers, names, phones and bank
cards in clear to one partner.  After real exchange traffic (every format, filters on
a clear ID, a filter value that does not parse, another partner's masked reads, an
officer reading the audit log) every file under HUB_HOME except the sandbox sources,
the structured logs and the Prometheus metrics are scanned for a set of level-3
values taken from the sources: ID numbers, mobile numbers, bank cards, names.  None
is found, while the cleared partner got exactly the source's values.
"""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
from prometheus_client import generate_latest

from hub import metrics
from hub.audit.verify import stored_records
from hub.kms.parquet import file_kind
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, World, _register, bearer, grant, subsidy_columns

PURPOSE = "case-verification"
CLIENT_LOGGERS = ("httpx", "httpcore")  # the partner side of the test, not the hub
LEVEL3 = ("recipient_id_number", "recipient_phone", "bank_card", "recipient_name")


def _source_values(sandbox: Path) -> tuple[dict[int, dict[str, str]], set[str]]:
    """Subsidy rows of the partner's jurisdiction by payment id, and every planted value (IDs, phones,
    cards, names of subsidy recipients, payroll staff and enterprise legal representatives)."""
    finance = sqlite3.connect(sandbox / "finance.sqlite")
    assets = sqlite3.connect(sandbox / "state_assets.sqlite")
    try:
        rows = finance.execute(f"SELECT payment_id, {', '.join(LEVEL3)} FROM subsidy_payment "  # noqa: S608
                               "WHERE township_code LIKE '330106%' ORDER BY payment_id LIMIT 60").fetchall()
        payroll = finance.execute("SELECT person_id_number, bank_card, person_name FROM payroll "
                                  "ORDER BY record_id LIMIT 40").fetchall()
        reps = assets.execute("SELECT legal_rep_id_number, legal_rep_name FROM enterprise "
                              "ORDER BY uscc LIMIT 20").fetchall()
    finally:
        finance.close()
        assets.close()
    subsidy = {int(r[0]): dict(zip(LEVEL3, r[1:], strict=True)) for r in rows}
    planted = {str(v) for r in [*rows, *payroll, *reps] for v in r[1 if r in rows else 0:] if v}
    planted = {v for v in planted if len(v) >= 2 and not v.isdigit() or len(v) >= 11}  # names, IDs, phones, cards
    return subsidy, planted


def _found_in(data: bytes, planted: set[str]) -> set[str]:
    return {v for v in planted if v.encode("utf-8") in data}


@pytest.fixture(scope="module")
def traffic(world: World, http: AsgiClient) -> dict[str, Any]:
    """The cleared partner and others exchange data; returns what the cleared partner received."""
    cols = subsidy_columns(world)
    cleared = _register(world, "partner", "cleared-jw", clearance=3, jurisdiction="330106", purposes=[PURPOSE])
    grant(world, "cleared-jw", SUBSIDY, PURPOSE, cols, cols)
    subsidy, _ = _source_values(world.home / "sandbox")
    auth = bearer(http, cleared)
    got: dict[str, Any] = {}
    url = f"/v1/datasets/{SUBSIDY}/rows"
    page = http.get(url, params={"purpose": PURPOSE, "limit": 1000}, headers=auth)
    assert page.status_code == 200, page.text
    got["json"] = {int(r["payment_id"]): r for r in page.json()["rows"]} if isinstance(page.json(), dict) \
        else {int(r["payment_id"]): r for r in page.json()}
    for fmt in ("csv", "ndjson", "parquet", "arrow"):
        response = http.get(url, params={"purpose": PURPOSE, "limit": 50, "format": fmt}, headers=auth)
        assert response.status_code == 200, (fmt, response.text)
        got[fmt] = response.content
    some_id, some = next(iter(subsidy.items()))
    one = http.get(url, params={"purpose": PURPOSE, "filter": f"recipient_id_number:eq:{some['recipient_id_number']}",
                                "format": "json"}, headers=auth)
    assert one.status_code == 200, one.text
    got["filtered"] = (some_id, one.json())
    bad = http.get(url, params={"purpose": PURPOSE, "filter": f"amount:eq:{some['recipient_id_number']}x"},
                   headers=auth)
    assert bad.status_code == 400
    masked = http.get(url, params={"purpose": PURPOSE, "limit": 200}, headers=bearer(http, world.clients["hz-xihu-jw"]))
    assert masked.status_code == 200
    got["masked"] = masked.content
    audit = http.get("/v1/audit", params={"limit": 500}, headers=bearer(http, world.clients["sec-1"]))
    assert audit.status_code == 200, audit.text
    return got


def _rows(body: Any) -> list[dict[str, Any]]:
    return body["rows"] if isinstance(body, dict) else body


def test_the_cleared_partner_gets_the_source_values(world: World, traffic: dict[str, Any]) -> None:
    subsidy, _ = _source_values(world.home / "sandbox")
    served = traffic["json"]
    assert set(subsidy) <= set(served), "every planted row is delivered"
    for payment_id, source in subsidy.items():
        assert {c: served[payment_id][c] for c in LEVEL3} == source, payment_id
    some_id, body = traffic["filtered"]
    assert [int(r["payment_id"]) for r in _rows(body)] == [some_id]
    table = pq.read_table(io.BytesIO(traffic["parquet"]))
    assert set(LEVEL3) <= set(table.column_names)
    assert any(v in subsidy[pid]["recipient_id_number"] for pid, v in
               zip(table.column("payment_id").to_pylist(), table.column("recipient_id_number").to_pylist(),
                   strict=True) if pid in subsidy)


def test_no_clear_personal_value_under_hub_home(world: World, traffic: dict[str, Any]) -> None:
    _, planted = _source_values(world.home / "sandbox")
    assert len(planted) > 150
    sandbox = world.home / "sandbox"
    world.audit.close()  # everything the writer had is on disk (the WAL is scanned too)
    scanned, leaks = [], {}
    for path in sorted(p for p in world.home.rglob("*") if p.is_file()):
        if sandbox in path.parents:
            continue
        scanned.append(path.relative_to(world.home).as_posix())
        found = _found_in(path.read_bytes(), planted)
        if found:
            leaks[path.relative_to(world.home).as_posix()] = sorted(found)[:5]
    assert any(p.startswith("published/") for p in scanned) and "warehouse.duckdb" in scanned
    assert "hub.sqlite" in scanned and any(p.startswith("keys/") for p in scanned)
    assert not leaks, f"clear personal values on disk: {leaks}"
    # the byte scan cannot see through compression, so the compressed stores are also shown to be
    # encrypted, not merely compressed: DuckDB refuses the warehouse without its key, and every
    # published snapshot is encrypted Parquet or a sealed file, which pyarrow cannot open without keys
    with pytest.raises(duckdb.Error, match="encrypt"):
        duckdb.connect(str(world.home / "warehouse.duckdb"), read_only=True).close()
    snapshots = sorted((world.home / "published").rglob("*.parquet"))
    assert snapshots and {file_kind(p) for p in snapshots} <= {"encrypted", "sealed"}
    for path in snapshots[:3]:
        with pytest.raises((OSError, ValueError)):  # no key: pyarrow refuses (ArrowInvalid is a ValueError)
            pq.read_table(path)
    masked = _found_in(traffic["masked"], {v for row in _source_values(sandbox)[0].values() for v in row.values()})
    assert not {v for v in masked if len(v) > 4}, "the masked partner got no clear ID, phone or card"


def test_logs_metrics_and_audit_records_hold_no_clear_value(world: World, http: AsgiClient,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    subsidy, planted = _source_values(world.home / "sandbox")
    caplog.set_level(logging.DEBUG)
    cleared = world.clients["cleared-jw"]
    value = next(iter(subsidy.values()))["recipient_id_number"]
    # the value where a value goes, where a column or an operator goes, and in a match lookup
    for flt in (f"recipient_id_number:eq:{value}", f"amount:gt:{value}z", f"nope:eq:{value}", f"{value}:eq:1",
                f"amount:{value}:1", f"{value}"):
        http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": PURPOSE, "filter": flt},
                 headers=bearer(http, cleared))
    http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": value}, headers=bearer(http, cleared))
    phone = next(iter(subsidy.values()))["recipient_phone"]  # digits: a well-formed, unregistered purpose
    assert http.get(f"/v1/datasets/{SUBSIDY}/rows", params={"purpose": phone},
                    headers=bearer(http, cleared)).status_code == 403
    hub_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]  # not the test's client
    logged = "\n".join(json.dumps({**r.__dict__, "args": str(r.args), "exc_info": str(r.exc_info)},
                                  default=str, ensure_ascii=False) for r in hub_side)
    assert logged and not _found_in(logged.encode(), planted), "structured logs"
    assert not _found_in(generate_latest(metrics.REGISTRY), planted), "metrics"
    leaking = [r for r in stored_records(world.store)
               if _found_in(json.dumps(r, default=str, ensure_ascii=False).encode(), planted)]
    assert not leaking, f"audit records (reasons and details included): {leaking[:3]}"
    # the refused purpose reached the decision (and its replay input) as a digest only
    refused = [r for r in stored_records(world.store) if str(r.get("purpose") or "").startswith("unregistered:")]
    assert refused and all(r["details"]["input"]["request"]["purpose"] == r["purpose"] for r in refused)
