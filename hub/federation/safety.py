"""What a model package may contain: plain SQLMesh SQL over its declared inputs, and unit tests.

A package runs inside the installing hub, next to its data, so it is read statically
before anything of it is loaded (defence in depth: its publisher is trusted, its
content still must not reach beyond its contract):

* files: ``model.yaml``, ``models/*.sql`` and ``tests/*.yaml`` only — no Python
  models, macros, audits files, seeds or Jinja;
* each SQL file is one ``MODEL`` block (name, kind ``FULL`` or ``VIEW``, grain,
  description, audits, tags…) and one query — no statements before or after it;
* its models are ``clues.<name>`` (required) and ``staging.<name>__<step>``;
* the query reads only the datasets of the input contract, the package's own models
  and its CTEs — no file paths, no table functions (``read_csv``, ``glob``…), no
  function that reaches outside the database (``getenv``, ``read_text``…);
* every ``@VAR('x', …)`` names a variable the manifest declares;
* unit tests give rows only (no SQL queries as test inputs or outputs).

A violation refuses the whole package, naming the file and what it holds.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic.warnings import PydanticDeprecatedSince20

with warnings.catch_warnings():  # SQLMesh's import-time pydantic deprecation (see hub.transform)
    warnings.filterwarnings("ignore", message=".*json_encoders.*", category=PydanticDeprecatedSince20)
    from sqlglot import exp
    from sqlmesh.core.dialect import Model as ModelBlock
    from sqlmesh.core.dialect import parse

from hub.federation.errors import PackageRefused
from hub.federation.manifest import MANIFEST, Manifest

ALLOWED_PROPERTIES = frozenset({"name", "kind", "grain", "grains", "description", "audits", "columns",
                                "column_descriptions", "tags", "owner"})
ALLOWED_KINDS = frozenset({"FULL", "VIEW"})
DENIED_FUNCTIONS = frozenset({
    "getenv", "read_text", "read_blob", "glob", "sniff_csv", "query", "query_table", "current_setting",
    "load_extension", "which_secret", "pg_read_file", "pg_ls_dir", "st_read", "sqlite_scan", "sqlite_attach",
    "postgres_scan", "postgres_query", "mysql_query", "parquet_scan", "parquet_metadata", "parquet_schema",
})
DENIED_PREFIXES = ("read_", "duckdb_", "pragma_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_")
TEST_INPUT_KEYS = frozenset({"rows", "columns"})
TEST_OUTPUT_KEYS = frozenset({"rows", "columns", "partial"})
_VAR = re.compile(r"@VAR\(\s*'([^']*)'", re.IGNORECASE)
_PATH = re.compile(r"^(models/[a-z0-9_]+\.sql|tests/test_[a-z0-9_]+\.yaml|" + re.escape(MANIFEST) + ")$")


@dataclass(frozen=True)
class ModelFile:
    """One checked SQL file: the model it defines and the datasets its query reads."""

    path: str
    name: str  # schema.table
    reads: frozenset[str]


def _refuse(path: str, why: str) -> PackageRefused:
    return PackageRefused(f"model package file `{path}`: {why}")


def check_paths(files: dict[str, str]) -> None:
    """Only the manifest, ``models/*.sql`` and ``tests/test_*.yaml``."""
    for path in files:
        if not _PATH.fullmatch(path):
            raise _refuse(path, "not allowed in a model package (only model.yaml, models/<name>.sql and "
                                "tests/test_<name>.yaml: no Python, macros, seeds or other files)")
    if MANIFEST not in files:
        raise PackageRefused(f"the model package holds no {MANIFEST}")


def _model_name(block: ModelBlock, path: str) -> str:
    props = {p.name.lower(): p for p in block.expressions if isinstance(p, exp.Property)}
    unknown = sorted(set(props) - ALLOWED_PROPERTIES)
    if unknown:
        raise _refuse(path, f"MODEL property {', '.join(unknown)} is not allowed in a shared model")
    kind = props.get("kind")
    kind_name = kind.args["value"].this if kind is not None else "VIEW"
    if str(kind_name).upper() not in ALLOWED_KINDS:
        raise _refuse(path, f"model kind `{kind_name}` is not allowed (FULL or VIEW)")
    name = props.get("name")
    table = name.args.get("value") if name is not None else None
    if not isinstance(table, exp.Table) or not table.db:
        raise _refuse(path, "the MODEL block names no `schema.table`")
    return f"{table.db}.{table.name}"


def _check_functions(query: exp.Expression, path: str) -> None:
    for func in query.find_all(exp.Func):
        kind = type(func).__name__.lower()  # sqlglot's own classes: ReadCSV, ReadParquet, …
        name = func.name.lower() if isinstance(func, exp.Anonymous) else kind
        if kind.startswith("read") or name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise _refuse(path, f"function `{func.sql(dialect='duckdb')[:60]}` reaches outside the database")


def _reads(query: exp.Expression, path: str) -> frozenset[str]:
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    reads = set()
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise _refuse(path, f"`{table.sql(dialect='duckdb')[:60]}` is a table function: a shared model "
                                "reads datasets only")
        if not table.db:
            if table.name not in ctes:
                raise _refuse(path, f"`{table.name[:60]}` is neither a dataset `schema.table` nor a CTE")
            continue
        if table.catalog:
            raise _refuse(path, f"`{table.sql(dialect='duckdb')[:60]}` names a database: read datasets only")
        reads.add(f"{table.db}.{table.name}")
    return frozenset(reads)


def check_sql(path: str, text: str, manifest: Manifest) -> ModelFile:
    """One ``models/*.sql`` file: one MODEL block and one query within the contract (``reads`` checked later)."""
    if "{{" in text or "{%" in text or "JINJA_" in text.upper():
        raise _refuse(path, "Jinja is not allowed in a shared model")
    try:
        expressions = parse(text, default_dialect="duckdb")
    except Exception as exc:  # noqa: BLE001 - sqlglot/SQLMesh parse errors of many kinds
        raise _refuse(path, f"does not parse as SQLMesh SQL: {str(exc)[:200]}") from None
    if len(expressions) != 2 or not isinstance(expressions[0], ModelBlock) or \
            not isinstance(expressions[1], exp.Query):
        raise _refuse(path, "must hold one MODEL block and one query, nothing before or after")
    name = _model_name(expressions[0], path)
    if name != manifest.dataset and not name.startswith(f"staging.{manifest.name}__"):
        raise _refuse(path, f"model `{name}` is outside the package's names ({manifest.dataset}, "
                            f"staging.{manifest.name}__*)")
    undeclared = sorted(set(_VAR.findall(text)) - set(manifest.variables))
    if undeclared:
        raise _refuse(path, f"uses variable(s) {', '.join(undeclared)} that {MANIFEST} does not declare")
    query: Any = expressions[1]
    _check_functions(query, path)
    return ModelFile(path, name, _reads(query, path))


def _check_test_part(part: Any, allowed: frozenset[str], path: str, where: str) -> None:
    if not isinstance(part, dict):
        raise _refuse(path, f"{where} must be a mapping")
    for key, value in part.items():
        if not isinstance(value, dict) or set(value) - allowed:
            raise _refuse(path, f"{where}.{key} may give only {', '.join(sorted(allowed))} (no SQL queries)")


def check_test(path: str, text: str, models: set[str]) -> None:
    """A unit-test file: tests of the package's models that give rows, never SQL."""
    try:
        tests = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise _refuse(path, f"is not YAML: {exc}") from None
    if not isinstance(tests, dict) or not tests:
        raise _refuse(path, "holds no unit test")
    for name, test in tests.items():
        if not isinstance(test, dict) or test.get("model") not in models:
            raise _refuse(path, f"test `{name}` must test one of the package's models ({', '.join(sorted(models))})")
        _check_test_part(test.get("inputs", {}), TEST_INPUT_KEYS, path, f"{name}.inputs")
        _check_test_part(test.get("outputs", {}), TEST_OUTPUT_KEYS, path, f"{name}.outputs")


def check(files: dict[str, str], manifest: Manifest) -> list[ModelFile]:
    """Every static check over a package's files; its models with what each reads."""
    check_paths(files)
    models = [check_sql(p, t, manifest) for p, t in sorted(files.items()) if p.startswith("models/")]
    names = {m.name for m in models}
    if manifest.dataset not in names:
        raise PackageRefused(f"the package defines no model `{manifest.dataset}` (models/{manifest.name}.sql)")
    allowed = set(manifest.inputs) | names
    for model in models:
        stray = sorted(model.reads - allowed)
        if stray:
            raise _refuse(model.path, f"reads {', '.join(stray)}, which the input contract in {MANIFEST} "
                                      "does not declare")
    for path, text in sorted(files.items()):
        if path.startswith("tests/"):
            check_test(path, text, names)
    return models
