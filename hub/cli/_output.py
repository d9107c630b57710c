"""How list and show commands print: one JSON document with ``--json``, else tables that fit.

Every list or show command builds plain rows — dicts of JSON values whose keys are
the ``--json`` contract, so they stay stable — and hands them to ``emit``; a show
command hands its document to ``emit_document`` with a function that renders it for
people.  Use it for every new command that lists or shows something::

    from hub.cli._output import Col, JsonOption, emit

    @app.command("list")
    def list_(as_json: JsonOption = False) -> None:
        \"\"\"List alerts.\"\"\"
        rows = [{"id": a.id, "severity": a.severity, "summary": a.summary} for a in alerts]
        emit(rows, [Col("id", wrap=False), Col("severity"), Col("summary", priority=-1)],
             as_json=as_json, title="alerts", empty="no open alerts")

With ``--json`` the output is exactly one JSON document (the list of rows, or the
show command's object), UTF-8, times as ISO 8601 strings.  Without it, a table is
fitted to the terminal (``COLUMNS``; 80 when the output is not a terminal): every
column is at least 6 characters wide, wide columns wrap but are never squeezed below
``min_width`` (6 by default; ``wrap=False`` columns are shown whole), and when even
that does not fit, the columns of lowest ``priority`` (rightmost first) are left out
and the caption names them.  Nothing is
ever cut to one or two characters, as rich does when left to itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

JsonOption = Annotated[bool, typer.Option("--json", help="print one JSON document (stable keys) instead of a table")]
MIN_WIDTH = 6
EMPTY_CELL = "—"


@dataclass(frozen=True)
class Col:
    """One table column: which row key it shows, under which header, and how it may shrink."""

    key: str
    header: str | None = None
    fmt: Callable[[Any], str] | None = None  # the cell from the value
    cell: Callable[[Mapping[str, Any]], str] | None = None  # the cell from the whole row
    wrap: bool = True  # False: shown whole (ids, codes); the table drops other columns first
    min_width: int = MIN_WIDTH
    priority: int = 0  # lower priorities are left out first when the terminal is too narrow
    styles: Mapping[str, str] | None = None  # a rich style for some cell texts, e.g. {"ALL regions": "bold red"}

    @property
    def title(self) -> str:
        return self.header if self.header is not None else self.key

    def text(self, row: Mapping[str, Any]) -> str:
        if self.cell is not None:
            return self.cell(row)
        value = row.get(self.key)
        if self.fmt is not None:
            return self.fmt(value)
        return plain(value)


def plain(value: Any) -> str:
    """A cell's text: ``—`` for nothing, lists joined by commas, times without microseconds."""
    if value is None or value == "" or value == []:
        return EMPTY_CELL
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(plain(v) for v in value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(document: Any) -> str:
    """The ``--json`` text of a document."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_default)


def console() -> Console:
    """A console for this call, so ``COLUMNS`` is read when the command prints, not at import."""
    return Console(file=sys.stdout, highlight=False)


def _width(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def _fit(natural: list[int], minimum: list[int], room: int) -> list[int] | None:
    """Content widths summing to at most ``room``: shrink the widest first, never below a minimum."""
    if sum(natural) <= room:
        return natural
    if sum(minimum) > room:
        return None
    for level in range(max(natural), 0, -1):
        widths = [min(n, max(level, m)) for n, m in zip(natural, minimum, strict=True)]
        if sum(widths) <= room:
            return widths
    return minimum  # pragma: no cover - sum(minimum) <= room is reached at level 1


READABLE_WORD = 16  # a word up to this long is kept whole while columns can still be left out


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in text.split()), default=0)


def _fits(shown: list[int], minimum: list[int], natural: list[int], width: int) -> list[int] | None:
    room = width - (3 * len(shown) + 1)  # a space of padding each side, and the box's rules
    return _fit([natural[i] for i in shown], [minimum[i] for i in shown], room)


def layout(columns: Sequence[Col], cells: list[list[str]], width: int) -> tuple[list[int], list[int]]:
    """Which columns to show (indexes) and their content widths, for a table ``width`` cells wide.

    First, columns of negative priority are left out (lowest first) until every column
    fits with its words whole (up to 16 characters); only then are the rest squeezed,
    never below their ``min_width``, and left out as a last resort.
    """
    natural = [max([MIN_WIDTH, _width(c.title), *(_width(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    hard = [n if not c.wrap else min(n, max(c.min_width, MIN_WIDTH)) for n, c in zip(natural, columns, strict=True)]
    words = [max([_longest_word(c.title), *(_longest_word(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    readable = [max(h, min(n, w, READABLE_WORD)) for h, n, w in zip(hard, natural, words, strict=True)]
    shown = list(range(len(columns)))
    drop_order = sorted(shown, key=lambda i: (columns[i].priority, -i))
    optional = [i for i in drop_order if columns[i].priority < 0]
    while (widths := _fits(shown, readable, natural, width)) is None and optional:
        shown.remove(optional.pop(0))
    if widths is not None:
        return shown, widths
    while shown:
        widths = _fits(shown, hard, natural, width)
        if widths is not None:
            return shown, widths
        if len(shown) == 1:
            return shown, [max(width - 4, 1)]
        shown.remove(next(i for i in drop_order if i in shown))
    return shown, []  # pragma: no cover - a table always has a column


def table(rows: Iterable[Mapping[str, Any]], columns: Sequence[Col], *, title: str | None = None,
          width: int | None = None) -> Table:
    """A rich table of ``rows`` fitted to ``width`` (default: the terminal's)."""
    cells = [[c.text(row) for c in columns] for row in rows]
    shown, widths = layout(columns, cells, width or console().width)
    hidden = [columns[i].title for i in range(len(columns)) if i not in shown]
    caption = f"not shown at this width: {', '.join(hidden)} (see --json)" if hidden else None
    out = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for i, w in zip(shown, widths, strict=True):
        out.add_column(columns[i].title, width=w, overflow="fold", no_wrap=False)
    for row in cells:
        out.add_row(*(Text(row[i], style=(columns[i].styles or {}).get(row[i], "")) for i in shown))
    return out


def emit(rows: Sequence[Mapping[str, Any]], columns: Sequence[Col], *, as_json: bool,
         title: str | None = None, empty: str | None = None) -> None:
    """Print ``rows``: the JSON list of them, or a fitted table (and ``empty`` when there are none)."""
    if as_json:
        typer.echo(dumps(list(rows)))
        return
    out = console()
    out.print(table(rows, columns, title=title, width=out.width))
    if not rows and empty:
        out.print(empty)


def emit_document(document: Mapping[str, Any], *, as_json: bool, render: Callable[[Console], None]) -> None:
    """Print one document: as JSON, or through ``render`` for people."""
    if as_json:
        typer.echo(dumps(dict(document)))
        return
    render(console())


def fields(pairs: Iterable[tuple[str, Any]], *, title: str | None = None, width: int | None = None) -> Table:
    """A two-column field/value table (a show command's scalar fields), fitted like any table."""
    rows = [{"field": name, "value": value} for name, value in pairs]
    return table(rows, [Col("field", wrap=False), Col("value")], title=title, width=width)
