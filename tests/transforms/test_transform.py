"""The SQLMesh transforms on DuckDB: clue keys, reruns, variables, audits, lineage, unit tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from hub.transform import (
    CLUE_MODELS,
    TRANSFORMS_DIR,
    TransformError,
    TransformResult,
    column_lineage,
    describe_models,
    model_lineage,
    model_names,
    run_transforms,
    run_unit_tests,
)
from tests.transforms.conftest import build_raw_warehouse, execute, query
from tests.transforms.rawdata import A_UPPER, AS_OF, EXPECTED, clue_keys

Transformed = tuple[Path, TransformResult]


@pytest.mark.parametrize("model", CLUE_MODELS)
def test_clue_keys_are_exactly_the_expected_ones(transformed: Transformed, model: str) -> None:
    keys = clue_keys(lambda sql: query(transformed[0], sql))
    assert keys[model] == EXPECTED[model]


def test_first_run_builds_every_model_with_row_counts(transformed: Transformed) -> None:
    path, result = transformed
    assert result.executed == model_names()
    assert result.row_counts["finance.treasury_payment"] == 17
    assert result.row_counts["clues.split_procurement"] == 5
    assert {f"clues.{m}" for m in CLUE_MODELS} <= set(result.row_counts)


def test_every_clue_model_carries_model_version(transformed: Transformed) -> None:
    for model in CLUE_MODELS:
        versions = query(transformed[0], f"SELECT DISTINCT model_version FROM clues.{model}")
        assert versions == [(f"{model}/v1",)]


def test_staging_normalises_and_conforms(transformed: Transformed) -> None:
    path = transformed[0]
    assert query(path, "SELECT person_id_number FROM finance.payroll WHERE record_id = 2") == [
        ("330106198502020022",)
    ]
    systems = query(path, f"SELECT systems, system_count FROM resources.person WHERE id_number = '{A_UPPER}'")
    assert systems == [("finance.payroll,finance.subsidy_payment,state_assets.enterprise", 3)]
    assert query(path, "SELECT level, parent_code FROM resources.region WHERE region_code = '330106001'") == [
        ("township", "330106")
    ]
    orgs = query(path, "SELECT org_code, kind FROM resources.organization WHERE is_enterprise ORDER BY 1")
    assert orgs == [("91330106MA2XXXXX01", "国有企业"), ("91330106MA2XXXXX02", "国有企业")]


def test_rerun_without_raw_change_executes_nothing(warehouse_copy: Callable[[], Path]) -> None:
    path = warehouse_copy()
    before = clue_keys(lambda sql: query(path, sql))
    result = run_transforms(path, as_of=AS_OF)
    assert (result.executed, result.restated) == ([], [])
    assert clue_keys(lambda sql: query(path, sql)) == before


def test_variable_changes_rerun_only_the_models_using_them(warehouse_copy: Callable[[], Path]) -> None:
    path = warehouse_copy()
    result = run_transforms(path, as_of="2026-07-01", variables={"non_collective_threshold": 5000000})
    assert result.executed == ["clues.non_collective_decision", "clues.overdue_rectification"]
    # F2's deadline 2026-06-30 is now past; 9,999,999.99 now reaches the threshold
    overdue = {r[0] for r in query(path, "SELECT finding_id FROM clues.overdue_rectification")}
    assert overdue == {"F1", "F2", "F4"}
    assert {r[0] for r in query(path, "SELECT decision_id FROM clues.non_collective_decision")} == {501, 502}


def test_raw_change_reruns_the_affected_models(warehouse_copy: Callable[[], Path]) -> None:
    path = warehouse_copy()
    execute(path, "UPDATE raw_finance.treasury_payment SET amount = 400000 WHERE payment_id = 302")
    execute(path, "UPDATE raw_finance.subsidy_payment SET amount = -5 WHERE payment_id = 107")
    result = run_transforms(path, as_of=AS_OF)
    assert result.restated == ["raw_finance.subsidy_payment", "raw_finance.treasury_payment"]
    assert {"staging.treasury_payment", "clues.split_procurement", "clues.duplicate_subsidy"} <= set(
        result.executed
    )
    assert "clues.below_value_disposal" not in result.executed
    assert {r[0] for r in query(path, "SELECT payment_id FROM clues.split_procurement")} == {312, 313, 314}
    # a negative amount fails a non-blocking audit: reported, not fatal
    assert any("accepted_range" in w and "staging__subsidy_payment" in w for w in result.warnings)


def test_failed_audit_raises_with_its_message(warehouse_copy: Callable[[], Path]) -> None:
    path = warehouse_copy()  # ' 330106' trims to a key that already exists
    execute(path, "INSERT INTO raw_statistics.indicators VALUES "
                  "('330106 ', '2026-03', 'FISCAL_REV', 1, '万元', TIMESTAMP '2026-04-03 00:00:00')")
    with pytest.raises(TransformError) as failure:
        run_transforms(path, as_of=AS_OF)
    message = str(failure.value)
    assert "audit `unique_combination_of_columns` failed on `staging.indicators`: 1 row(s)" in message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"as_of": "2026-13-01"}, "as_of `2026-13-01` is not a YYYY-MM-DD date"),
        ({"as_of": AS_OF, "gateway": "trino"}, "unknown SQLMesh gateway `trino`"),
        ({"as_of": AS_OF, "gateway": "postgres"}, "the postgres gateway needs pg_url"),
    ],
)
def test_bad_arguments_name_the_problem(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(TransformError, match=message):
        run_transforms(tmp_path / "warehouse.duckdb", **kwargs)  # type: ignore[arg-type]


def test_missing_warehouse_and_missing_raw_tables_are_named(tmp_path: Path) -> None:
    with pytest.raises(TransformError, match="does not exist: ingest the raw layer first"):
        run_transforms(tmp_path / "warehouse.duckdb", as_of=AS_OF)
    execute(tmp_path / "warehouse.duckdb", "CREATE SCHEMA raw_finance")
    with pytest.raises(TransformError, match="raw tables missing from the warehouse: .*raw_finance.budget_unit"):
        run_transforms(tmp_path / "warehouse.duckdb", as_of=AS_OF)


def test_sqlmesh_unit_tests_pass_and_cover_every_clue_model() -> None:
    result = run_unit_tests()
    assert result.ok, result.failures
    tested = set()
    for path in (TRANSFORMS_DIR / "tests").glob("*.yaml"):
        tested |= {case["model"] for case in yaml.safe_load(path.read_text(encoding="utf-8")).values()}
    assert {f"clues.{m}" for m in CLUE_MODELS} <= tested
    assert result.tests_run >= len(CLUE_MODELS)


def test_lineage_runs_from_raw_to_clues() -> None:
    edges = set(model_lineage())
    assert ("raw_finance.payroll", "staging.payroll") in edges
    assert ("staging.payroll", "clues.payroll_subsidy_conflict") in edges
    assert ("staging.subsidy_payment", "finance.subsidy_payment") in edges
    columns = column_lineage("clues.below_value_disposal")
    assert ("staging.asset_disposal", "transaction_price") in columns["transaction_price"]
    with pytest.raises(TransformError, match="no SQLMesh model `clues.nope`"):
        column_lineage("clues.nope")


def test_models_are_described_for_the_catalog() -> None:
    models = {m.name: m for m in describe_models()}
    assert set(models) == set(model_names())
    subsidy = models["staging.subsidy_payment"]
    assert (subsidy.kind, subsidy.grain) == ("INCREMENTAL_BY_UNIQUE_KEY", ["payment_id"])
    assert subsidy.columns["amount"] == "DECIMAL(18, 2)"
    assert models["finance.subsidy_payment"].kind == "VIEW"
    assert models["clues.revenue_discrepancy"].grain == ["region_code", "month"]
    assert models["clues.split_procurement"].upstream == ["staging.org_region", "staging.treasury_payment"]


def test_state_can_live_in_a_separate_file(tmp_path: Path) -> None:
    path = build_raw_warehouse(tmp_path / "wh")
    state = tmp_path / "state" / "sqlmesh_state.duckdb"
    state.parent.mkdir()
    run_transforms(path, as_of=AS_OF, state_path=state)
    assert clue_keys(lambda sql: query(path, sql)) == EXPECTED
    state_tables = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'sqlmesh'"
    assert query(path, state_tables) == [(0,)]
    assert query(state, "SELECT COUNT(*) FROM sqlmesh._snapshots")[0][0] > 0
