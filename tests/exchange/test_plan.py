"""Query plans over a real Parquet snapshot in a real DuckDB."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hub.errors import BadRequest, Forbidden
from hub.exchange import execute, formats
from hub.exchange.plan import ColumnInfo, DataRequest, Obligations, build

SECRET = b"c" * 32
PADS = (b"\x36" * 64, b"\x5c" * 64)
CATALOG = {
    "payment_id": ColumnInfo("payment_id", "BIGINT"),
    "recipient_id_number": ColumnInfo("recipient_id_number", "VARCHAR", "CN_RESIDENT_ID"),
    "recipient_name": ColumnInfo("recipient_name", "VARCHAR", "PERSON"),
    "township_code": ColumnInfo("township_code", "VARCHAR"),
    "amount": ColumnInfo("amount", "DECIMAL(18,2)"),
}
OB = Obligations(
    columns={"payment_id": "clear", "recipient_id_number": "mask_middle", "recipient_name": "mask_name",
             "township_code": "clear", "amount": "clear"},
    row_filter={"column": "township_code", "prefix": "330106"},
    max_rows=1000,
)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> str:
    n = 50
    table = pa.table({
        "_row_id": pa.array(range(n), pa.int64()),
        "payment_id": pa.array(range(1000, 1000 + n), pa.int64()),
        "recipient_id_number": [f"33010619800101{i:03d}X" for i in range(n)],
        "recipient_name": ["欧阳娜娜" if i % 2 else "张三" for i in range(n)],
        "township_code": ["330106001" if i % 5 else "330108002" for i in range(n)],
        "amount": pa.array([float(i % 7) * 100 for i in range(n)]).cast(pa.decimal128(18, 2)),
    })
    path = tmp_path_factory.mktemp("snap") / "v1.parquet"
    pq.write_table(table, path)
    return str(path)


def page(snapshot: str, req: DataRequest, fmt: str = "arrow", ob: Obligations = OB) -> execute.Page:
    plan = build(snapshot, CATALOG, ob, req, pads=PADS, cursor_secret=SECRET,
                 binding={"partner": "p1", "dataset": "finance.subsidy_payment", "version": "v1"})
    return execute.run(duckdb.connect(), plan, fmt, SECRET)


def test_masks_and_row_filter_applied(snapshot: str) -> None:
    result = page(snapshot, DataRequest()).table.to_pylist()
    assert len(result) == 40  # every 5th row is outside 330106
    assert all(r["township_code"].startswith("330106") for r in result)
    assert all(r["recipient_id_number"].count("*") == 8 for r in result)
    assert {r["recipient_name"] for r in result} == {"张*", "欧阳*"}


def test_keyset_pagination_walks_every_row_once(snapshot: str) -> None:
    seen, cur = [], None
    for _ in range(20):
        p = page(snapshot, DataRequest(limit=7, cursor=cur, order_by="-amount"))
        seen += [r["payment_id"] for r in p.table.to_pylist()]
        cur = p.next_cursor
        if cur is None:
            break
    assert len(seen) == len(set(seen)) == 40


def test_cursor_is_bound_to_the_query(snapshot: str) -> None:
    first = page(snapshot, DataRequest(limit=5))
    assert first.next_cursor
    with pytest.raises(BadRequest):
        page(snapshot, DataRequest(limit=5, cursor=first.next_cursor, order_by="amount"))
    tampered = first.next_cursor[:-2] + ("AA" if not first.next_cursor.endswith("AA") else "BB")
    with pytest.raises(BadRequest):
        page(snapshot, DataRequest(limit=5, cursor=tampered))


def test_filters_only_on_clear_columns(snapshot: str) -> None:
    got = page(snapshot, DataRequest(filters=["amount:ge:500", "payment_id:in:1005|1006|1013|1001"]))
    # 1005 is outside the jurisdiction, 1001 below the amount: neither comes back
    assert [r["payment_id"] for r in got.table.to_pylist()] == [1006, 1013]
    with pytest.raises(BadRequest, match="masked|clear"):
        page(snapshot, DataRequest(filters=["recipient_id_number:prefix:3301"]))


@pytest.mark.parametrize("bad", ["x", "amount:like:1", "nosuch:eq:1", "amount:eq:1'; DROP TABLE x;--"])
def test_bad_filters_are_400_or_match_nothing(snapshot: str, bad: str) -> None:
    try:
        got = page(snapshot, DataRequest(filters=[bad]))
    except BadRequest:
        return
    assert got.rows == 0  # an injection string is just a value that matches nothing


def test_columns_outside_the_decision(snapshot: str) -> None:
    ob = Obligations(columns={**OB.columns, "recipient_name": "drop"}, row_filter=None)
    with pytest.raises(Forbidden):
        page(snapshot, DataRequest(columns=["recipient_name"]), ob=ob)
    with pytest.raises(BadRequest):
        page(snapshot, DataRequest(columns=["salary"]), ob=ob)
    assert "recipient_name" not in page(snapshot, DataRequest(), ob=ob).table.column_names


@pytest.mark.parametrize("fmt", ["json", "ndjson", "csv", "parquet", "arrow"])
def test_formats_carry_the_same_rows(snapshot: str, fmt: str) -> None:
    p = page(snapshot, DataRequest(limit=10), fmt=fmt)
    digest = formats.Digest()
    body = b"".join(digest.wrap(formats.encode(fmt, p.table, p.next_cursor)))
    assert digest.bytes == len(body) and len(digest.hexdigest()) == 64
    if fmt == "json":
        doc = json.loads(body)
        assert len(doc["rows"]) == 10 and doc["next_cursor"] == p.next_cursor
        assert doc["rows"][0]["recipient_name"] in {"张*", "欧阳*"}
    elif fmt == "ndjson":
        assert len(body.decode().splitlines()) == 10
    elif fmt == "arrow":
        assert pa.ipc.open_stream(body).read_all().num_rows == 10
    elif fmt == "parquet":
        import io
        assert pq.read_table(io.BytesIO(body)).num_rows == 10
    else:
        assert len(body.decode().splitlines()) == 11
