"""Tracing a leaked extract back to its partner (``hub trace FILE``).

A leaked CSV or Parquet extract carries pseudonyms (``ps_`` + 32 hex) that only one
partner's key produces.  ``trace`` finds the columns that hold pseudonyms, then, for
every registered partner and officer and every pseudonymisable column of every
published snapshot, recomputes the pseudonyms in DuckDB with the same SQL HMAC the
exchange uses (``hub.masking``) and counts the matches: the subject with the most
matches is named, with the deliveries the audit log holds for it on that dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select

from hub.audit import AuditRecordView
from hub.audit.query import query
from hub.errors import BadRequest
from hub.events import DATA_DELIVERY
from hub.exchange.snapshots import Snapshots
from hub.masking import quote_ident
from hub.pseudonym import load_secret, pads, partner_key
from hub.settings import Settings
from hub.store.db import Store
from hub.store.models import Dataset, DatasetColumn, Officer, Partner

PSEUDONYM = re.compile(r"^ps_[0-9a-f]{32}$")
PSEUDONYMISED = ("CN_RESIDENT_ID", "EMAIL", "CN_USCC")


@dataclass(frozen=True)
class Match:
    subject: str
    dataset: str
    column: str
    hits: int


@dataclass
class TraceResult:
    pseudonyms: int
    matches: list[Match] = field(default_factory=list)
    deliveries: list[AuditRecordView] = field(default_factory=list)

    @property
    def best(self) -> Match | None:
        return max(self.matches, key=lambda m: m.hits) if self.matches else None


def leaked_pseudonyms(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """Every value of ``path`` that looks like a pseudonym."""
    if not path.is_file():
        raise BadRequest(f"`{path}` is not a file")
    reader = "read_parquet" if path.suffix.lower() in (".parquet", ".pq") else "read_csv"
    options = "" if reader == "read_parquet" else ", all_varchar = true, header = true"
    try:
        rel = con.sql(f"SELECT * FROM {reader}(?{options})", params=[str(path)])  # noqa: S608
        names = rel.columns
        found: set[str] = set()
        for name in names:
            col = quote_ident(name)
            sql = (f"SELECT DISTINCT CAST({col} AS VARCHAR) FROM {reader}(?{options}) "  # noqa: S608
                   f"WHERE regexp_full_match(CAST({col} AS VARCHAR), ?)")
            rows = con.execute(sql, [str(path), PSEUDONYM.pattern[1:-1]]).fetchall()
            found.update(r[0] for r in rows)
    except duckdb.Error as exc:
        raise BadRequest(f"`{path}` is not a readable CSV or Parquet file: {exc}") from None
    return found


def _subjects(store: Store) -> list[str]:
    with store.session() as session:
        partners = [f"partner:{p}" for p in session.scalars(select(Partner.id))]
        officers = [f"officer:{o}" for o in session.scalars(select(Officer.id))]
    return partners + officers


def _columns(store: Store) -> list[tuple[str, str]]:
    stmt = (select(DatasetColumn.dataset_id, DatasetColumn.name)
            .join(Dataset, Dataset.id == DatasetColumn.dataset_id)
            .where(Dataset.exchangeable.is_(True), DatasetColumn.pii_class.in_(PSEUDONYMISED)))
    with store.session() as session:
        return [(d, c) for d, c in session.execute(stmt)]


def _hits(con: duckdb.DuckDBPyConnection, snapshots: Snapshots, snapshot: str,
          column: str) -> list[tuple[str, int]]:
    col = quote_ident(column)
    con.register("snapshot", snapshots.sealer.read_table(snapshot, columns=[column]))  # decrypted in memory
    sql = (f"WITH v AS (SELECT DISTINCT encode(upper(trim(CAST({col} AS VARCHAR)))) AS m "  # noqa: S608
           f"FROM snapshot WHERE {col} IS NOT NULL) "
           "SELECT k.subject, count(*) FROM v CROSS JOIN trace_keys AS k "
           "JOIN leaked AS l ON l.ps = 'ps_' || left(sha256(k.o || unhex(sha256(k.i || v.m))), 32) "
           "GROUP BY k.subject")
    return [(s, int(n)) for s, n in con.execute(sql).fetchall()]


def trace(settings: Settings, store: Store, path: Path) -> TraceResult:
    """Which subject's pseudonyms ``path`` holds, and that subject's deliveries."""
    con = duckdb.connect()
    leaked = leaked_pseudonyms(con, path)
    result = TraceResult(len(leaked))
    if not leaked:
        return result
    secret = load_secret(settings.keys_dir)
    subjects = _subjects(store)
    key_pads = [pads(partner_key(secret, s)) for s in subjects]
    trace_keys = pa.table({"subject": subjects, "i": pa.array([p[0] for p in key_pads], pa.binary()),
                           "o": pa.array([p[1] for p in key_pads], pa.binary())})
    con.register("trace_keys", trace_keys)
    con.register("leaked", pa.table({"ps": sorted(leaked)}))
    snapshots = Snapshots(settings, store)
    for dataset, column in _columns(store):
        snapshot = snapshots.current(dataset).path
        result.matches.extend(Match(s, dataset, column, n) for s, n in _hits(con, snapshots, snapshot, column))
    best = result.best
    if best is not None:
        datasets = sorted({m.dataset for m in result.matches if m.subject == best.subject})
        for dataset in datasets:
            result.deliveries += query(store, subject=best.subject, dataset=dataset, event=DATA_DELIVERY,
                                       limit=1000)
    return result


def summary(result: TraceResult) -> dict[str, Any]:
    """A plain summary for logs and JSON output."""
    best = result.best
    return {"pseudonyms": result.pseudonyms, "subject": best.subject if best else None,
            "dataset": best.dataset if best else None, "hits": best.hits if best else 0,
            "deliveries": [r.request_id for r in result.deliveries]}
