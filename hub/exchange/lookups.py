"""Privacy-preserving lookups: ``filter=COL:match:CLEAR_VALUE`` on a grant's lookup columns.

Case verification asks "are there payments to this ID?" of a column the partner only
ever sees pseudonymised.  A grant may list ``lookup_columns``; on those (and only while
the decision pseudonymises them) a ``match`` filter takes a clear value, the hub
computes that value's pseudonym under the partner's own key — the very expression the
masks use, run by DuckDB — and keeps the rows whose pseudonym equals it.  So the
partner learns exactly what its own extract would show: which of its rows carry that
pseudonym.  Every other operator on a masked or pseudonymised column stays refused
(400 naming the column, ``hub.exchange.filters``), as do ordering and ``prefix``.

The clear value never reaches the audit log: the delivery record carries the lookup's
keyed hash (the pseudonym) instead, and the cursor fingerprint binds to it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from hub.errors import BadRequest
from hub.exchange.filters import Filter
from hub.masking import normalised, pseudonym_sql, quote_ident

MATCH = "match"


@dataclass(frozen=True)
class Lookup:
    """One ``match`` filter, resolved: the column and the value's keyed hash (the partner's pseudonym)."""

    column: str
    keyed_hash: str

    def audit(self) -> dict[str, str]:
        """What the audit record keeps of the lookup (never the clear value)."""
        return {"column": self.column, "keyed_hash": self.keyed_hash}


def check(flt: Filter, strategies: dict[str, str], lookup_columns: frozenset[str]) -> None:
    """400 naming the column unless ``flt`` is a ``match`` on a pseudonymised lookup column."""
    column = flt.column[:64]
    if flt.column not in lookup_columns:
        raise BadRequest(f"cannot match on column `{column}`: your grant lists no lookup on it",
                         parameter="filter", column=column)
    strategy = strategies.get(flt.column, "drop")
    if strategy != "pseudonym":
        hint = "filter it with eq" if strategy == "clear" else f"it is released to you as `{strategy}`"
        raise BadRequest(f"cannot match on column `{column}`: match works on pseudonymised lookup "
                         f"columns ({hint})", parameter="filter", column=column)


def keyed_hashes(con: duckdb.DuckDBPyConnection, values: list[str], pads: tuple[bytes, bytes]) -> list[str]:
    """The partner's pseudonyms of clear ``values``, by the same SQL the masks run."""
    if not values:
        return []
    expr = pseudonym_sql(normalised("v"))
    rows = con.execute(f"SELECT {expr} FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(v, i) ORDER BY i",  # noqa: S608
                       [pads[1], pads[0], values]).fetchall()
    return [str(r[0]) for r in rows]


def resolve(con: duckdb.DuckDBPyConnection, filters: list[Filter], strategies: dict[str, str],
            lookup_columns: frozenset[str], pads: tuple[bytes, bytes]) -> list[Lookup]:
    """Check every ``match`` filter of a request and compute its keyed hash (in filter order)."""
    matches = [f for f in filters if f.op == MATCH]
    for flt in matches:
        check(flt, strategies, lookup_columns)
    hashes = keyed_hashes(con, [f.values[0] for f in matches], pads)
    return [Lookup(f.column, h) for f, h in zip(matches, hashes, strict=True)]


def to_sql(lookup: Lookup, pads: tuple[bytes, bytes]) -> tuple[str, list[Any]]:
    """The predicate on the clear snapshot column: its pseudonym equals the lookup's keyed hash."""
    col = quote_ident(lookup.column)
    return f"({pseudonym_sql(normalised(col))}) = ?", [pads[1], pads[0], lookup.keyed_hash]
