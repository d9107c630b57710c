"""Conformance checks of a connector (``hub connector check``).

A connector conforms when, on the tiny source its ``sample`` writes: every
resource declares a primary key and a cursor; a full read yields batches matching
the declared schema with no empty keys; a second read resumed from the cursor the
first one reached yields less (nothing new was added); and on an empty source
every resource reads without error and yields no rows.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import ConnectorError, ConnectorNotFound
from connectors.registry import GROUP, get_connector
from connectors.sdk import ConnectorDef, Delivery, Reject, Resource, Source


@dataclass(frozen=True)
class Check:
    """One conformance check: what was checked, whether it passed, and why."""

    name: str
    passed: bool
    detail: str


def _read(res: Resource, start: Any = None) -> tuple[int, Any, list[str]]:
    """Rows, end cursor and problems of one full read."""
    state, items = res.extract(start)
    rows, problems = 0, []
    for item in items:
        if isinstance(item, Reject | Delivery):
            continue
        if not item.schema.equals(res.schema, check_metadata=False):
            problems.append(f"`{res.name}` yielded a batch with schema {item.schema} instead of {res.schema}")
            continue
        rows += item.num_rows
        for key in res.primary_key:
            if item.num_rows and pc.any(pc.is_null(item.column(key))).as_py():
                problems.append(f"`{res.name}` yielded rows with an empty key `{key}`")
    return rows, state.end, problems


def _declarations(source: Source) -> Check:
    # merge/replace need a key to stay idempotent; append needs a cursor not to load rows twice
    missing = [
        r.name
        for r in source.resources
        if (r.write_disposition == "append" and r.cursor is None)
        or (r.write_disposition != "append" and not r.primary_key)
    ]
    if not source.resources:
        return Check("declares resources", False, "the connector declares no resources")
    detail = (
        f"resources without a key or cursor: {missing}"
        if missing
        else ", ".join(
            f"{r.name}(key={list(r.primary_key)}, cursor={r.cursor.describe() if r.cursor else None}, "
            f"{r.write_disposition})"
            for r in source.resources
        )
    )
    return Check("declares keys and cursor", not missing, detail)


def _full_and_resume(source: Source) -> list[Check]:
    checks = []
    for res in source.resources:
        try:
            rows, end, problems = _read(res)
            again, _, more = _read(res, end)
        except ConnectorError as exc:
            checks.append(Check(f"reads `{res.name}`", False, str(exc)))
            continue
        ok = rows > 0 and not problems
        checks.append(
            Check(
                f"yields batches matching the schema of `{res.name}`",
                ok,
                "; ".join(problems) or f"{rows} rows in {len(res.schema)} declared columns",
            )
        )
        if res.cursor is None:
            checks.append(
                Check(
                    f"re-reads `{res.name}` in full (no cursor)",
                    again == rows and not more,
                    f"{again} of {rows} rows on the second read; the merge keeps it idempotent",
                )
            )
            continue
        resumed = end is not None and (again < rows or rows == 0) and not more
        checks.append(
            Check(
                f"resumes `{res.name}` from its cursor",
                resumed,
                f"cursor {str(end)[:60]!s}: {again} of {rows} rows read again",
            )
        )
    return checks


def _empty(source: Source) -> Check:
    counts = {}
    for res in source.resources:
        try:
            counts[res.name] = _read(res)[0]
        except ConnectorError as exc:
            return Check("handles an empty source", False, f"`{res.name}`: {exc}")
    return Check("handles an empty source", not any(counts.values()), f"rows per resource: {counts}")


def check_connector(cdef: ConnectorDef, workdir: Path) -> list[Check]:
    """Run every conformance check of ``cdef`` against its sample in ``workdir``."""
    if cdef.sample is None:
        return [Check("provides a sample source", False, f"connector `{cdef.name}` declares no sample=")]
    source = cdef.build(cdef.sample(workdir / "sample", False))
    empty = cdef.build(cdef.sample(workdir / "empty", True))
    return [_declarations(source), *_full_and_resume(source), _empty(empty)]


def load_from_directory(path: Path) -> ConnectorDef:
    """The connector a package directory declares in its pyproject's ``hub.connectors`` entry point."""
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        raise ConnectorNotFound(f"{path} has no pyproject.toml")
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    points = data.get("project", {}).get("entry-points", {}).get(GROUP, {})
    if len(points) != 1:
        raise ConnectorNotFound(
            f"{pyproject} must declare exactly one `{GROUP}` entry point, has {len(points)}"
        )
    name, target = next(iter(points.items()))
    module, _, attr = str(target).partition(":")
    root = str(path.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ConnectorNotFound(f"entry point `{name}` = {target} of {path} does not load: {exc}") from None
    if not isinstance(obj, ConnectorDef):
        raise ConnectorNotFound(f"entry point `{name}` = {target} is not a connector (use @connector)")
    return obj


def resolve(name_or_path: str) -> ConnectorDef:
    """An installed connector by entry-point name, or one in a package directory."""
    path = Path(name_or_path)
    if path.is_dir() and (path / "pyproject.toml").exists():
        return load_from_directory(path)
    return get_connector(name_or_path)


def summary(schema: pa.Schema) -> str:
    """``name type, ...`` of a schema, for listings."""
    return ", ".join(f"{f.name} {f.type}" for f in schema)
