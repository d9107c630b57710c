"""Transforms: runs the SQLMesh project in ``transforms/`` over the warehouse.

The raw layer (``raw_<source>.*``, written by the connectors) flows through
``staging.*`` into the published ``<provider>.<table>`` views, the conformed
``resources.*`` and the eight ``clues.*`` supervision models (大数据比对).  This
module is the one door to SQLMesh: it builds the configuration (a ``duckdb``
gateway on the warehouse file, or a ``postgres`` gateway), plans and applies the
``prod`` environment, runs it, and re-runs what a raw-table change affects.
SQLMesh's console is replaced by a quiet recorder, so nothing is printed; a
failed audit surfaces as ``TransformError`` with the audit's message.  The
catalog reads the project through ``describe_models``, ``model_lineage`` and
``column_lineage``; ``run_unit_tests`` runs ``transforms/tests``.

Every function takes the ``Project`` (``hub.project``): the raw tables the
configured sources declare and the connector model packages that joined; without
one, the project of the default sources (the built-in profiles) is used.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic.warnings import PydanticDeprecatedSince20

with warnings.catch_warnings():
    # SQLMesh 0.236 defines pydantic models with ``json_encoders`` at import time; the
    # deprecation is pydantic's (module pydantic.*), so the sqlmesh.* filter misses it.
    warnings.filterwarnings("ignore", message=".*json_encoders.*", category=PydanticDeprecatedSince20)
    from sqlglot import exp
    from sqlmesh.core import constants as sqlmesh_constants
    from sqlmesh.core.config import (
        Config,
        DuckDBConnectionConfig,
        GatewayConfig,
        ModelDefaultsConfig,
        PostgresConnectionConfig,
    )
    from sqlmesh.core.console import NoopConsole, get_console, set_console
    from sqlmesh.core.context import Context
    from sqlmesh.utils.errors import NodeAuditsErrors, SQLMeshError

from hub.errors import HubError
from hub.packaged import sqlmesh_cache_dir
from hub.project import TRANSFORMS_DIR, HubLoader, Project, default_project

# SQLMesh forks worker processes to load the project when it sees several CPUs.  Forking the
# multi-threaded hub (Dagster, DuckDB, the statistics API, the audit writer) can crash a child
# ("Fatal Python error: Segmentation fault" while pickling, seen in the test suite), which
# failed the transform stage at random; and a forked child is one more process to outlive a
# kill -9.  The project loads in-process instead (no slower here: 2.4 s vs 3.5 s warm).
sqlmesh_constants.MAX_FORK_WORKERS = 1
GATEWAYS = ("duckdb", "postgres")
CLUE_MODELS = (
    "payroll_subsidy_conflict", "duplicate_subsidy", "below_value_disposal", "related_party_payment",
    "overdue_rectification", "revenue_discrepancy", "split_procurement", "non_collective_decision",
)
_FINGERPRINT_TABLE = "sqlmesh_hub.raw_fingerprint"
_FINGERPRINT_SQL = {
    "duckdb": "SELECT COUNT(*), COALESCE(CAST(SUM(HASH(t)) AS VARCHAR), '') FROM {table} AS t",
    "postgres": "SELECT COUNT(*), COALESCE(CAST(SUM(('x' || LEFT(MD5(CAST(t AS TEXT)), 15))::BIT(60)::BIGINT)"
    " AS TEXT), '') FROM {table} AS t",
}


def default_variables(as_of: str | None = None) -> dict[str, Any]:
    """The rule thresholds (settings with documented defaults) and ``as_of``."""
    return {
        "below_value_ratio": 0.8,
        "revenue_tolerance": 0.10,
        "split_threshold": 1000000,
        "split_window_days": 30,
        "non_collective_threshold": 10000000,
        "as_of": as_of or date.today().isoformat(),
    }


class TransformError(HubError):
    """The transforms failed: a failed audit, a model error or a missing raw table."""

    title = "transform failed"


@dataclass
class TransformResult:
    """What one ``run_transforms`` call did."""

    gateway: str
    executed: list[str] = field(default_factory=list)
    restated: list[str] = field(default_factory=list)
    row_counts: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class UnitTestResult:
    """Outcome of the SQLMesh unit tests in ``transforms/tests``."""

    tests_run: int
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


class _RecordingConsole(NoopConsole):
    """A silent SQLMesh console that remembers evaluations, warnings and failures."""

    def __init__(self) -> None:
        self.evaluated: set[str] = set()
        self.warnings: list[str] = []
        self.errors: list[str] = []

    def update_snapshot_evaluation_progress(self, snapshot: Any, *args: Any, **kwargs: Any) -> None:
        self.evaluated.add(_short_name(snapshot.name))

    def log_warning(self, short_message: str, long_message: str | None = None) -> None:
        self.warnings.append(long_message or short_message)

    def log_error(self, message: str, *args: Any, **kwargs: Any) -> None:
        self.errors.append(message)

    def log_failed_models(self, errors: list[Any]) -> None:
        for exc in errors:
            self.errors.append(_describe_failure(exc))


def _describe_failure(exc: Any) -> str:
    """One line per failure, naming the model and, for audits, the audit, its rows and query."""
    node = getattr(exc, "node", None)
    model = _short_name(getattr(node, "snapshot_name", "") or "?.?")
    cause = exc.__cause__ or exc
    if isinstance(cause, NodeAuditsErrors):
        return "; ".join(
            f"audit `{e.audit_name}` failed on `{model}`: {e.count} row(s) violate it "
            f"(audit query: {e.sql()})"
            for e in cause.errors
        )
    return f"model `{model}` failed: {cause}"


def _short_name(fqn: str) -> str:
    """``"warehouse"."clues"."x"`` → ``clues.x`` (the dataset id)."""
    parts = [p.strip('"') for p in fqn.split(".")]
    return ".".join(parts[-2:])


def _duckdb(path: Path | None, key: str | None) -> DuckDBConnectionConfig:
    """A DuckDB connection to ``path``; with ``key`` the file is attached encrypted (``hub.kms.warehouse``)."""
    if path is None or key is None:
        return DuckDBConnectionConfig(database=str(path) if path else ":memory:")
    from hub.kms.warehouse import alias_of, encrypted_attach

    return DuckDBConnectionConfig(catalogs={alias_of(path): encrypted_attach(path, key)})


def build_config(
    warehouse_path: Path | None = None, *, pg_url: str | None = None, state_path: Path | None = None,
    variables: dict[str, Any] | None = None, key: str | None = None, project: Project | None = None,
) -> Config:
    """The SQLMesh config: gateways ``duckdb`` (state in the warehouse or ``state_path``) and ``postgres``.

    ``key``: the warehouse (and the state file) are encrypted with it (``hub.kms.warehouse``).
    """
    project = project or default_project()
    gateways: dict[str, GatewayConfig] = {}
    state = _duckdb(state_path, key) if state_path else None
    gateways["duckdb"] = GatewayConfig(connection=_duckdb(warehouse_path, key), state_connection=state)
    if pg_url:
        gateways["postgres"] = GatewayConfig(connection=_postgres_connection(pg_url))
    return Config(
        gateways=gateways, default_gateway="duckdb",
        model_defaults=ModelDefaultsConfig(dialect="duckdb", start="2024-01-01", cron="@daily"),
        variables={**default_variables(), **(variables or {})},
        cache_dir=str(sqlmesh_cache_dir(TRANSFORMS_DIR)),
        loader=HubLoader, loader_kwargs=project.loader_kwargs(),
    )


def _postgres_connection(pg_url: str) -> PostgresConnectionConfig:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(pg_url)
    except ArgumentError as exc:
        raise TransformError(f"postgres gateway URL is not a SQLAlchemy URL: {exc}") from None
    host = str(url.query.get("host") or url.host or "localhost")
    return PostgresConnectionConfig(
        host=host, port=url.port or 5432, user=url.username or "postgres",
        password=url.password or "", database=url.database or "postgres",
    )


@contextmanager
def _context(config: Config, gateway: str | None = None,
             paths: list[Path] | None = None) -> Iterator[tuple[Context, _RecordingConsole]]:
    previous, console = get_console(), _RecordingConsole()
    set_console(console)
    paths = paths or [TRANSFORMS_DIR]
    try:
        ctx = Context(paths=paths, config=config, gateway=gateway)
    except (SQLMeshError, ValueError) as exc:
        set_console(previous)
        where = " + ".join(str(p) for p in paths)
        raise TransformError(f"SQLMesh project in {where} does not load: {exc}") from None
    try:
        yield ctx, console
    finally:
        ctx.close()
        set_console(previous)


def run_transforms(
    warehouse_path: Path, *, as_of: str, variables: dict[str, Any] | None = None,
    gateway: str = "duckdb", pg_url: str | None = None, state_path: Path | None = None,
    key: str | None = None, project: Project | None = None,
) -> TransformResult:
    """Plan and apply ``prod``, re-run models whose raw tables changed, run; return what ran.

    ``key``: the warehouse's encryption key (``hub.kms.warehouse``), None for a plain file.
    """
    _check_arguments(warehouse_path, as_of, variables or {}, gateway, pg_url)
    project = project or default_project()
    config = build_config(warehouse_path, pg_url=pg_url, state_path=state_path,
                          variables={**(variables or {}), "as_of": as_of}, key=key, project=project)
    with _context(config, gateway, project.paths) as (ctx, console):
        result = TransformResult(gateway=gateway)
        try:
            _apply(ctx, result, project.raw_tables)
        except TransformError:
            raise
        except Exception as exc:  # SQLMesh, DuckDB and PostgreSQL errors alike: name them
            raise _failure(exc, console) from exc
        result.executed = sorted(console.evaluated)
        result.warnings = console.warnings
        return result


def _check_arguments(
    warehouse_path: Path, as_of: str, variables: dict[str, Any], gateway: str, pg_url: str | None
) -> None:
    if gateway not in GATEWAYS:
        raise TransformError(f"unknown SQLMesh gateway `{gateway}` (known: {', '.join(GATEWAYS)})")
    if gateway == "postgres" and not pg_url:
        raise TransformError("the postgres gateway needs pg_url")
    try:
        date.fromisoformat(as_of)
    except (TypeError, ValueError):
        raise TransformError(f"as_of `{as_of}` is not a YYYY-MM-DD date") from None
    for name, value in variables.items():
        if name != "as_of" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise TransformError(f"SQLMesh variable `{name}` must be a number, got {value!r}")
    if gateway == "duckdb" and not Path(warehouse_path).is_file():
        raise TransformError(f"warehouse `{warehouse_path}` does not exist: ingest the raw layer first")


def _apply(ctx: Context, result: TransformResult, raw_tables: list[str]) -> None:
    adapter = ctx.engine_adapter
    _check_raw_tables(adapter, raw_tables)
    previous = _stored_fingerprints(adapter)
    current = _fingerprints(adapter, ctx.gateway or "duckdb", raw_tables)
    ctx.plan("prod", auto_apply=True, no_prompts=True, skip_tests=True, no_diff=True)
    changed = sorted(t for t, fp in current.items() if previous and previous.get(t) != fp)
    if changed:
        ctx.plan("prod", restate_models=changed, auto_apply=True, no_prompts=True, skip_tests=True,
                 no_diff=True)
        result.restated = changed
    ctx.run("prod")
    ctx.run_janitor(ignore_ttl=False)  # drops physical tables of expired snapshots (e.g. old as_of)
    _store_fingerprints(adapter, current)
    result.row_counts = {name: _count(adapter, name) for name in _dataset_names(ctx)}


def _failure(exc: Exception, console: _RecordingConsole) -> TransformError:
    details = "; ".join(dict.fromkeys(console.errors)) or f"{type(exc).__name__}: {exc}"
    return TransformError(f"SQLMesh transforms failed: {details}")


def _check_raw_tables(adapter: Any, raw_tables: list[str]) -> None:
    missing = [t for t in raw_tables if not adapter.table_exists(t)]
    if missing:
        raise TransformError(f"raw tables missing from the warehouse: {', '.join(missing)}")


def _fingerprints(adapter: Any, gateway: str, raw_tables: list[str]) -> dict[str, str]:
    prints = {}
    for table in raw_tables:
        quoted = exp.to_table(table).sql(dialect=adapter.dialect, identify=True)
        row = adapter.fetchone(_FINGERPRINT_SQL[gateway].format(table=quoted))
        prints[table] = hashlib.sha256(f"{row[0]}:{row[1]}".encode()).hexdigest()
    return prints


def _stored_fingerprints(adapter: Any) -> dict[str, str]:
    table = exp.to_table(_FINGERPRINT_TABLE)
    if not adapter.table_exists(table):
        return {}
    return dict(adapter.fetchall(exp.select("raw_table", "fingerprint").from_(table)))


def _store_fingerprints(adapter: Any, prints: dict[str, str]) -> None:
    table = exp.to_table(_FINGERPRINT_TABLE)
    text = exp.DataType.build("text")
    adapter.create_schema(table.db)
    adapter.create_table(table, {"raw_table": text, "fingerprint": text})
    adapter.execute(exp.delete(table))
    adapter.execute(exp.insert(exp.values(sorted(prints.items())), table))


def _count(adapter: Any, dataset: str) -> int:
    query = exp.select(exp.func("COUNT", exp.Star())).from_(exp.to_table(dataset))
    return int(adapter.fetchone(query)[0])


def _dataset_names(ctx: Context) -> list[str]:
    return sorted(_short_name(m.fqn) for m in ctx.models.values() if not m.kind.is_external)


@contextmanager
def _project_context(project: Project | None) -> Iterator[Context]:
    project = project or default_project()
    with _context(build_config(project=project), paths=project.paths) as (ctx, _):
        yield ctx


def model_names(project: Project | None = None) -> list[str]:
    """Every model's dataset id (``schema.table``), sorted."""
    with _project_context(project) as ctx:
        return _dataset_names(ctx)


def model_lineage(project: Project | None = None) -> list[tuple[str, str]]:
    """Table-level lineage: (upstream, downstream) pairs, raw tables included."""
    with _project_context(project) as ctx:
        return sorted(
            (_short_name(up), _short_name(model.fqn))
            for model in ctx.models.values() for up in model.depends_on or ()
        )


def column_lineage(dataset: str, project: Project | None = None) -> dict[str, list[tuple[str, str]]]:
    """Column-level lineage of one model: column → [(upstream dataset, upstream column)]."""
    with _project_context(project) as ctx:
        model = ctx.get_model(dataset)
        if model is None:
            raise TransformError(f"no SQLMesh model `{dataset}`")
        return _column_lineage(ctx, model)


def _column_lineage(ctx: Context, model: Any) -> dict[str, list[tuple[str, str]]]:
    from sqlmesh.core.lineage import column_dependencies

    return {
        column: sorted(
            (_short_name(up), up_col)
            for up, cols in column_dependencies(ctx, model.fqn, column).items() for up_col in cols
        )
        for column in model.columns_to_types or {}
    }


@dataclass(frozen=True)
class ModelInfo:
    """One SQLMesh model as the catalog sees it (name, kind, columns, lineage)."""

    name: str
    kind: str
    description: str | None
    grain: list[str]
    columns: dict[str, str]
    upstream: list[str]
    column_lineage: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _grain(model: Any) -> list[str]:
    cols = [c for g in model.grains for c in (g.expressions if isinstance(g, exp.Tuple) else (g,))]
    return [c.name if isinstance(c, exp.Column) else c.sql() for c in cols]


def describe_models(*, column_level: bool = False, project: Project | None = None) -> list[ModelInfo]:
    """Every model with its kind, description, grain, column types, upstream (and column lineage)."""
    with _project_context(project) as ctx:
        return [
            ModelInfo(
                name=_short_name(m.fqn), kind=str(m.kind.name.value),
                description=m.description,
                grain=_grain(m),
                columns={c: t.sql(dialect="duckdb") for c, t in (m.columns_to_types or {}).items()},
                upstream=sorted(_short_name(u) for u in m.depends_on or ()),
                column_lineage=_column_lineage(ctx, m) if column_level else {},
            )
            for m in sorted(ctx.models.values(), key=lambda m: m.fqn) if not m.kind.is_external
        ]


def run_unit_tests(project: Project | None = None, tests: list[str] | None = None) -> UnitTestResult:
    """Run the project's SQLMesh unit tests (``tests/*.yaml``; only ``tests`` when given) on DuckDB in memory."""
    with _project_context(project) as ctx:
        outcome = ctx.test(tests=tests)
        failures = [f"{test}: {message}" for test, message in [*outcome.failures, *outcome.errors]]
        return UnitTestResult(tests_run=outcome.testsRun, failures=failures)


@dataclass(frozen=True)
class PackageReport:
    """A connector model package loaded with the core project: its models, which are tested, the tests."""

    models: list[str]
    tested: set[str]
    tests: UnitTestResult


def inspect_package(project: Project, package_path: Path) -> PackageReport:
    """Load ``project`` (which holds the package) once; name the package's models and run its unit tests."""
    root = package_path.resolve()
    with _project_context(project) as ctx:
        core: set[str] = getattr(ctx, "_hub_core_models", set())
        models = sorted(_short_name(fqn) for fqn, m in ctx.models.items() if fqn not in core
                        and not m.kind.is_external)
        metas = [m for m in ctx._model_test_metadata if Path(m.path).resolve().is_relative_to(root)]
        tested = {_short_name(m.model_name) for m in metas}
        if not metas:
            return PackageReport(models, tested, UnitTestResult(0, []))
        outcome = ctx.test(tests=sorted({str(m.path) for m in metas}))
        failures = [f"{test}: {message}" for test, message in [*outcome.failures, *outcome.errors]]
        return PackageReport(models, tested, UnitTestResult(outcome.testsRun, failures))
