"""Masking strategies executed by a real DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from hub import pseudonym
from hub.masking import MaskContext, MaskingError, Projection, expression, parse_strategy


def run(value: object, strategy: str, ctx: MaskContext | None = None, sql_type: str = "VARCHAR"):
    out = Projection()
    expression("v", strategy, ctx or MaskContext(), out)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t (v {sql_type}, v__redacted VARCHAR)")
    con.execute("INSERT INTO t VALUES (?, 'redacted!')", [value])
    if not out.items:
        return "<dropped>"
    return con.execute(f"SELECT {', '.join(out.items)} FROM t", out.params).fetchone()[0]


@pytest.mark.parametrize(
    ("value", "strategy", "pii", "expected"),
    [
        ("11010519491231002X", "mask_middle", "CN_RESIDENT_ID", "110105********002X"),
        ("13812345678", "mask_middle", "CN_MOBILE", "138****5678"),
        ("6222021234567890123", "mask_middle", "CN_BANK_CARD", "***************0123"),
        ("张三丰", "mask_name", "PERSON", "张*"),
        ("欧阳娜娜", "mask_name", "PERSON", "欧阳*"),
        ("欧阳", "mask_name", "PERSON", "欧*"),
        ("330106001", "region_prefix:6", None, "330106"),
        ("2026-03-15", "year_month", None, "2026-03"),
        ("2026-03-15", "year", None, "2026"),
        ("x", "clear", None, "x"),
        ("x", "null", None, None),
        ("x", "drop", None, "<dropped>"),
        (None, "mask_middle", "CN_MOBILE", None),
        (None, "mask_name", "PERSON", None),
    ],
)
def test_strategies(value, strategy, pii, expected):
    assert run(value, strategy, MaskContext(pii_class=pii)) == expected


def test_round_on_decimal():
    assert float(run(1234.56, "round:-2", sql_type="DECIMAL(18,2)")) == 1200.0


def test_redacted_text_reads_the_twin():
    assert run("张三 13812345678", "redacted_text", MaskContext(redacted_twin="v__redacted")) == "redacted!"


def test_pseudonym_sql_equals_python_hmac():
    key = pseudonym.partner_key(b"s" * 32, "hz-xihu-jw")
    inner, outer = pseudonym.pads(key)
    ctx = MaskContext(hmac_inner_pad=inner, hmac_outer_pad=outer)
    got = run(" 11010519491231002x ", "pseudonym", ctx)
    assert got == pseudonym.pseudonym(key, "11010519491231002X")
    other = pseudonym.partner_key(b"s" * 32, "zj-province")
    assert pseudonym.pseudonym(other, "11010519491231002X") != got


@pytest.mark.parametrize("bad", ["cleartext", "round:x", "region_prefix:", "drop;--", ""])
def test_unknown_strategy_fails_closed(bad):
    with pytest.raises(MaskingError):
        parse_strategy(bad)


def test_pseudonym_without_key_fails_closed():
    with pytest.raises(MaskingError):
        run("x", "pseudonym")
