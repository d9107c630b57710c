"""Masked views: pages cut from a view equal the SQL plan's pages; views are built once, kept, rebuilt.

The differential runs today's planner (one DuckDB query per page, ``hub.exchange.plan``)
and the view path (``hub.exchange.views`` + ``hub.exchange.pages``) side by side over a
real snapshot with nulls, decimals, dates, timestamps, booleans and awkward text, for
generated requests (filters of every operator, ``order_by`` both ways, page sizes),
walking every page of each: same Arrow rows, same JSON bytes, and each path reads the
other's cursors.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from hub.errors import BadRequest
from hub.exchange import execute, formats, lookups, pages
from hub.exchange.filters import parse_all
from hub.exchange.plan import ColumnInfo, DataRequest, Obligations, build
from hub.exchange.views import View, ViewKey, Views
from hub.pseudonym import pads, partner_key, pseudonym

SECRET = b"k" * 32
KEY = partner_key(b"s" * 32, "partner:p1")
PADS = pads(KEY)
N = 240
CATALOG = {
    "payment_id": ColumnInfo("payment_id", "BIGINT"),
    "recipient_id_number": ColumnInfo("recipient_id_number", "VARCHAR", "CN_RESIDENT_ID"),
    "recipient_name": ColumnInfo("recipient_name", "VARCHAR", "PERSON"),
    "recipient_phone": ColumnInfo("recipient_phone", "VARCHAR", "CN_MOBILE"),
    "township_code": ColumnInfo("township_code", "VARCHAR"),
    "amount": ColumnInfo("amount", "DECIMAL(18,2)"),
    "paid_on": ColumnInfo("paid_on", "DATE"),
    "paid_at": ColumnInfo("paid_at", "TIMESTAMP"),
    "flag": ColumnInfo("flag", "BOOLEAN"),
    "note": ColumnInfo("note", "VARCHAR"),
}
STRATEGIES = {"payment_id": "clear", "recipient_id_number": "pseudonym", "recipient_name": "mask_name",
              "recipient_phone": "mask_middle", "township_code": "clear", "amount": "clear", "paid_on": "clear",
              "paid_at": "year_month", "flag": "clear", "note": "clear"}
OB = Obligations(columns=STRATEGIES, row_filter={"column": "township_code", "prefix": "330106"}, max_rows=1000)
CLEAR = [c for c, s in STRATEGIES.items() if s == "clear"]
NOTES = ["普通", 'say "hi"', "back\\slash", "line\nbreak", "tab\there", "", None, "欧阳 & <b>"]
IDS = [f"3301061980010{i % 37:04d}X" for i in range(N)]


def _snapshot_table() -> pa.Table:
    rnd = random.Random(7)
    return pa.table({
        "_row_id": pa.array([3 * i + 1 for i in range(N)], pa.int64()),  # ids are not positions
        "payment_id": pa.array([None if i % 41 == 0 else 1000 + rnd.randrange(300) for i in range(N)], pa.int64()),
        "recipient_id_number": [None if i % 29 == 0 else IDS[i].lower() if i % 5 == 0 else IDS[i]
                                for i in range(N)],
        "recipient_name": [None if i % 31 == 0 else ("欧阳娜娜" if i % 2 else "张三") for i in range(N)],
        "recipient_phone": [f"138{i:08d}" for i in range(N)],
        "township_code": ["330106001" if i % 4 else ("330108002" if i % 8 else None) for i in range(N)],
        "amount": pa.array([None if i % 13 == 0 else Decimal(rnd.randrange(100000)) / 100 for i in range(N)],
                           pa.decimal128(18, 2)),
        "paid_on": [None if i % 17 == 0 else dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(60))
                    for i in range(N)],
        "paid_at": pa.array([dt.datetime(2024, 2, 1, 8) + dt.timedelta(minutes=rnd.randrange(9999))
                             for _ in range(N)], pa.timestamp("us")),
        "flag": [None if i % 19 == 0 else bool(rnd.randrange(2)) for i in range(N)],
        "note": [NOTES[i % len(NOTES)] for i in range(N)],
    })


SNAPSHOT = _snapshot_table()
BINDING = {"subject": "partner:p1", "dataset": "d.s", "version": "v1", "action": "read", "purpose": "p"}


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


@pytest.fixture(scope="module")
def views(con: duckdb.DuckDBPyConnection) -> Views:
    return Views(con, budget_bytes=1 << 26)


def _view(views: Views, ob: Obligations = OB, path: str = "v1", subject: str = "partner:p1") -> View:
    return views.view(ViewKey.of(path, None, subject, CATALOG, ob), SNAPSHOT, CATALOG, PADS, None)


def _found(con: duckdb.DuckDBPyConnection, req: DataRequest, ob: Obligations,
           lookup_columns: frozenset[str]) -> list[lookups.Lookup]:
    return lookups.resolve(con, parse_all(req.filters), ob.columns, lookup_columns, PADS)


def plan_page(con: duckdb.DuckDBPyConnection, req: DataRequest, fmt: str, ob: Obligations = OB,
              lookup_columns: frozenset[str] = frozenset()) -> tuple[Any, str | None]:
    """Today's path: one planned query over the snapshot."""
    found = _found(con, req, ob, lookup_columns)
    plan = build("", CATALOG, ob, req, pads=PADS, cursor_secret=SECRET, binding=BINDING,
                 table="__snap", lookups=found)
    cur = con.cursor()
    cur.register("__snap", SNAPSHOT)
    result = execute.run(cur, plan, fmt, SECRET)
    if fmt == "arrow":
        return result.table, result.next_cursor
    return b"".join(formats.encode(fmt, result.table, result.next_cursor)), result.next_cursor


def view_page(con: duckdb.DuckDBPyConnection, views: Views, req: DataRequest, fmt: str, ob: Obligations = OB,
              lookup_columns: frozenset[str] = frozenset()) -> tuple[Any, str | None]:
    """The view path: a page cut from the masked view."""
    found = _found(con, req, ob, lookup_columns)
    page = pages.select(con, views, _view(views, ob), CATALOG, ob, req, cursor_secret=SECRET,
                        binding=BINDING, lookups=found)
    if fmt == "arrow":
        return page.arrow(), page.next_cursor
    return formats.encode_lines(fmt, page.json_lines(views), page.next_cursor), page.next_cursor


def _value(rnd: random.Random, column: str) -> str:
    row = rnd.randrange(N)
    value = SNAPSHOT.column(column)[row].as_py()
    if value is None or rnd.random() < 0.1:
        return rnd.choice(["", "abc", "0", "2024-01-15", "12.5", "true", "330106", "9" * 25])
    if column == "township_code" and rnd.random() < 0.5:
        return str(value)[:rnd.randrange(1, 8)]
    return str(value)


def _filter(rnd: random.Random) -> str:
    column = rnd.choice(CLEAR)
    op = rnd.choice(["eq", "ne", "lt", "le", "gt", "ge", "in", "prefix"])
    if op == "in":
        return f"{column}:in:" + "|".join(_value(rnd, column) for _ in range(rnd.randrange(1, 5)))
    if op == "prefix":
        return f"{column}:prefix:{_value(rnd, column)[:rnd.randrange(1, 6)]}"
    return f"{column}:{op}:{_value(rnd, column)}"


def _request(rnd: random.Random) -> tuple[DataRequest, frozenset[str]]:
    filters = [_filter(rnd) for _ in range(rnd.choice([0, 0, 1, 1, 2]))]
    lookup = frozenset()
    if rnd.random() < 0.2:
        lookup = frozenset({"recipient_id_number"})
        filters.append(f"recipient_id_number:match:{rnd.choice(IDS).lower() if rnd.random() < 0.5 else IDS[3]}")
    order = rnd.choice([None, None, *CLEAR, *("-" + c for c in CLEAR)])
    columns = rnd.choice([None, ["payment_id", "note"], ["recipient_id_number", "amount", "paid_at"]])
    if columns and rnd.random() < 0.8:  # mostly ask for the columns filtered and ordered on (else: a 400)
        named = [f.split(":")[0] for f in filters] + ([order.lstrip("-")] if order else [])
        columns = list(dict.fromkeys([*columns, *named]))
    return DataRequest(columns=columns, filters=filters, order_by=order, limit=rnd.choice([4, 9, 50, 500])), lookup


def _walk(fetch: Any, req: DataRequest) -> list[Any]:
    """Every page's body following the cursors; a refusal ends the walk with its message."""
    out, cursor = [], None
    for _ in range(N + 2):
        try:
            body, cursor = fetch(DataRequest(req.columns, req.filters, req.order_by, req.limit, cursor))
        except BadRequest as exc:
            return [*out, f"400: {exc}"]
        out.append(body)
        if cursor is None:
            return out
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("seed", range(10))
def test_view_pages_equal_the_plan_pages(con: duckdb.DuckDBPyConnection, views: Views, seed: int) -> None:
    rnd = random.Random(seed)
    for _ in range(12):
        req, lookup = _request(rnd)
        fmt = rnd.choice(["arrow", "json", "ndjson"])
        planned = _walk(lambda r: plan_page(con, r, fmt, lookup_columns=lookup), req)  # noqa: B023
        cut = _walk(lambda r: view_page(con, views, r, fmt, lookup_columns=lookup), req)  # noqa: B023
        assert len(cut) == len(planned), req
        for a, b in zip(planned, cut, strict=True):
            if isinstance(a, str) or isinstance(b, str):
                assert a == b, req
            elif fmt == "arrow":
                assert a.to_pylist() == b.to_pylist(), req
                assert a.schema.equals(b.schema), req
            else:
                assert a == b, req


@pytest.mark.parametrize("order_by", [None, "amount", "-paid_on", "note", "-flag"])
def test_each_path_reads_the_other_paths_cursors(con: duckdb.DuckDBPyConnection, views: Views,
                                                 order_by: str | None) -> None:
    req = DataRequest(order_by=order_by, limit=9, filters=["payment_id:ge:1100"] if order_by == "note" else [])
    _, from_plan = plan_page(con, req, "arrow")
    _, from_view = view_page(con, views, req, "arrow")
    assert from_plan and from_view
    for cursor in (from_plan, from_view):
        nxt = DataRequest(req.columns, req.filters, order_by, 9, cursor)
        assert plan_page(con, nxt, "json") == view_page(con, views, nxt, "json")


def test_json_rows_parse_and_hold_the_masks(con: duckdb.DuckDBPyConnection, views: Views) -> None:
    body, _ = view_page(con, views, DataRequest(limit=500), "json")
    rows = json.loads(body)["rows"]
    assert len(rows) == sum(1 for t in SNAPSHOT.column("township_code").to_pylist() if t and t.startswith("330106"))
    assert {r["note"] for r in rows} >= {"line\nbreak", 'say "hi"', "back\\slash"}  # escaped, not split
    assert all(r["recipient_id_number"] is None or r["recipient_id_number"].startswith("ps_") for r in rows)
    assert all(r["paid_at"] is None or len(r["paid_at"]) == 7 for r in rows)


def test_match_returns_exactly_the_rows_of_the_clear_value(con: duckdb.DuckDBPyConnection, views: Views) -> None:
    wanted = IDS[3]
    expected = [i for i in range(N) if SNAPSHOT.column("recipient_id_number")[i].as_py() is not None
                and SNAPSHOT.column("recipient_id_number")[i].as_py().upper() == wanted
                and (SNAPSHOT.column("township_code")[i].as_py() or "").startswith("330106")]
    assert expected, "the fixture repeats IDs within the jurisdiction"
    req = DataRequest(filters=[f"recipient_id_number:match: {wanted.lower()} "], limit=500)
    table, _ = view_page(con, views, req, "arrow", lookup_columns=frozenset({"recipient_id_number"}))
    assert table.column("payment_id").to_pylist() == [SNAPSHOT.column("payment_id")[i].as_py() for i in expected]
    assert set(table.column("recipient_id_number").to_pylist()) == {pseudonym(KEY, wanted)}


@pytest.mark.parametrize("flt", [
    "recipient_id_number:match:330106",  # not a lookup column of this grant
    "recipient_name:match:张三",
    *(f"recipient_id_number:{op}:330106" for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "prefix")),
    *(f"recipient_phone:{op}:138" for op in ("eq", "ne", "lt", "le", "gt", "ge", "in", "prefix", "match")),
    "paid_at:prefix:2024",
])
def test_other_operators_on_masked_columns_are_400_naming_the_column(
        con: duckdb.DuckDBPyConnection, views: Views, flt: str) -> None:
    lookup = frozenset() if flt.startswith("recipient_id_number:match") else frozenset({"recipient_id_number"})
    column = flt.split(":")[0]
    for fetch in (plan_page, lambda c, r, f, lookup_columns: view_page(c, views, r, f,  # noqa: E731
                                                                      lookup_columns=lookup_columns)):
        with pytest.raises(BadRequest, match=f"`{column}`"):
            fetch(con, DataRequest(filters=[flt]), "json", lookup_columns=lookup)
    with pytest.raises(BadRequest, match="`recipient_id_number`"):
        view_page(con, views, DataRequest(order_by="recipient_id_number"), "json")


def test_clear_columns_are_the_snapshots_own_arrays_when_no_row_is_filtered(views: Views) -> None:
    everyone = Obligations(columns=STRATEGIES, row_filter=None)
    view = _view(views, everyone)
    shared = view.table.column("note").chunk(0).buffers()[2]
    assert shared.address == SNAPSHOT.column("note").chunk(0).buffers()[2].address
    scoped = _view(views)  # the row filter drops rows: clear columns are taken, not shared
    assert scoped.rows < view.rows
    assert scoped.own_bytes > view.own_bytes - view.table.column("_row_id").nbytes


def test_new_version_or_changed_decision_is_a_new_view(views: Views) -> None:
    first = _view(views)
    assert _view(views) is first  # kept
    assert _view(views, path="v2") is not first
    assert _view(views, subject="partner:p2") is not first
    masked_more = Obligations(columns={**STRATEGIES, "note": "null"}, row_filter=OB.row_filter)
    other = _view(views, masked_more)
    assert other is not first and set(other.table.column("note").to_pylist()) == {None}
    narrower = Obligations(columns=STRATEGIES, row_filter={"column": "township_code", "prefix": "3301060019"})
    assert _view(views, narrower).rows == 0


def test_evicted_view_is_rebuilt_the_same(con: duckdb.DuckDBPyConnection) -> None:
    small = Views(con, budget_bytes=1)  # nothing fits: every request rebuilds
    roomy = Views(con, budget_bytes=1 << 26)
    first = _view(small)
    again = _view(small)
    assert again is not first and again.table.equals(first.table)
    assert small.cache.stats.builds == 2 and small.cache.stats.oversized == 2
    one = _view(roomy)
    roomy.cache.budget = one.own_bytes + 1  # room for exactly one view
    other = _view(roomy, path="v2")
    kept = roomy.cache.kept()
    assert ("view", one.key) not in kept and ("view", other.key) in kept
    rebuilt = _view(roomy)
    assert rebuilt is not one and rebuilt.table.equals(one.table)
    assert roomy.cache.stats.evictions == 2


def test_concurrent_first_requests_build_a_view_once(con: duckdb.DuckDBPyConnection) -> None:
    fresh = Views(con, budget_bytes=1 << 26)
    got: list[View] = []
    threads = [threading.Thread(target=lambda: got.append(_view(fresh))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(v is got[0] for v in got)
    assert fresh.cache.stats.builds == 1


@pytest.mark.parametrize("req", [
    DataRequest(limit=20), DataRequest(limit=50, order_by="-amount"),
    DataRequest(limit=9, filters=["payment_id:ge:1100"], columns=["payment_id", "note"]),
])
@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_json_rendered_in_chunks_reads_the_same(con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch,
                                                req: DataRequest, fmt: str) -> None:
    """Pages across rendition chunks (and taken from several) carry the same bytes as the plan's."""
    from hub.exchange import views as views_module

    monkeypatch.setattr(views_module, "RENDER_CHUNK", 7)
    chunked = Views(con, budget_bytes=1 << 26)
    assert _walk(lambda r: view_page(con, chunked, r, fmt), req) == _walk(lambda r: plan_page(con, r, fmt), req)
    assert any(key[0] == "json" and key[3] > 2 for key in chunked.cache.kept())  # many chunks were rendered


def test_only_the_chunks_a_page_reaches_are_rendered(con: duckdb.DuckDBPyConnection,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.exchange import views as views_module

    monkeypatch.setattr(views_module, "RENDER_CHUNK", 16)
    lazy = Views(con, budget_bytes=1 << 26)
    lines = view_page(con, lazy, DataRequest(limit=10), "ndjson")[0]
    assert isinstance(lines, memoryview)  # inside one chunk: a view of its buffer, no copy
    assert [key[3] for key in lazy.cache.kept() if key[0] == "json"] == [0]
