"""Audit findings (审计发现) as the audit system drops them: one file per month.

Files are UTF-8 CSV, GB18030 CSV (``.gbk.csv``) or Excel, all with the same
header and column order.  Later files repeat a finding with its newer status,
one month arrives twice (CSV and Excel, identical rows), and a few rows are
damaged (truncated, impossible date, ``不详``, non-numeric amount).  Every row
written is also returned as a ``Line`` saying whether a loader should accept
it, so expected clues can be computed from valid rows only.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from hub.sandbox.context import Context
from hub.sandbox.finding_plan import Finding, plan_findings

COLUMNS = (
    "finding_id",
    "audit_project",
    "audited_unit_code",
    "audited_unit_name",
    "finding_type",
    "amount",
    "description",
    "found_on",
    "rectify_deadline",
    "rectify_status",
    "rectified_on",
)


@dataclass(frozen=True)
class Line:
    """One data row as written: which file, which line, and whether it is valid."""

    file: str
    line: int
    finding: Finding


def _file_names(ctx: Context) -> dict[str, list[str]]:
    """File names per month (YYYYMM): mostly CSV, some GB18030, some Excel, one twice."""
    names: dict[str, list[str]] = {}
    for i, month in enumerate(_file_months(ctx)):
        ym = month.replace("-", "")
        kind = {1: ".gbk.csv", 3: ".xlsx"}.get(i % 4, ".csv")
        names[month] = [f"findings_{ym}{kind}"] + ([f"findings_{ym}.xlsx"] if i == 6 else [])
    return names


def _file_months(ctx: Context) -> list[str]:
    """The audit system's months: the last eleven full months and the as-of month."""
    return ctx.months[1:] + [f"{ctx.as_of.year:04d}-{ctx.as_of.month:02d}"]


def _cell(value: str, column: str) -> object:
    """An Excel cell value: numbers and dates typed when they parse, else the raw text."""
    if value == "":
        return None
    try:
        if column == "amount":
            return float(value)
        if column in ("found_on", "rectify_deadline", "rectified_on"):
            return dt.date.fromisoformat(value)
    except ValueError:
        return value
    return value


def _write(path: Path, findings: list[Finding]) -> None:
    if path.suffix == ".xlsx":
        book = Workbook(write_only=True)
        sheet = book.create_sheet("审计发现")
        sheet.append(list(COLUMNS))
        for f in findings:
            sheet.append([_cell(v, c) for v, c in zip(f.fields(), COLUMNS, strict=False)])
        book.save(path)
        return
    encoding = "gb18030" if path.name.endswith(".gbk.csv") else "utf-8"
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for f in findings:
            writer.writerow(f.fields())


def write_findings(ctx: Context, directory: Path, units: list[tuple[str, str]]) -> list[Line]:
    """Write every month's files into ``directory``; returns the rows in load order."""
    directory.mkdir(parents=True, exist_ok=True)
    by_month = plan_findings(ctx, _file_months(ctx), units)
    lines: list[Line] = []
    for month, names in sorted(_file_names(ctx).items()):
        rows = by_month.get(month, [])
        if len(names) > 1:  # delivered twice: keep it clean so both copies are identical and valid
            rows = [r for r in rows if r.valid]
        for name in sorted(names):
            _write(directory / name, rows)
            lines.extend(Line(name, k + 2, r) for k, r in enumerate(rows))
    ctx.progress("审计文件 audit files", 1.0)
    return lines
