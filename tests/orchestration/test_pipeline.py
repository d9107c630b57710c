"""The real Dagster definitions materialized over a seeded sandbox (issues 3, 4, 5)."""

from __future__ import annotations

import dagster as dg
from sqlalchemy import func, select

from hub.orchestration.definitions import build_definitions
from hub.orchestration.resources import HubResource
from hub.settings import load_settings
from hub.store import open_store
from hub.store.models import Dataset, DatasetColumn, LineageEdge, QuarantinedRow
from tests.conftest import PipelineOutput
from tests.orchestration.helpers import SQL_TABLES, clue_keys, expected_keys, raw_rows, source_count


def test_definitions_load_with_lineage(tmp_path):
    settings = load_settings(home=tmp_path)
    defs = build_definitions(settings, HubResource(home=str(tmp_path)))
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw_finance/subsidy_payment", "raw_audit/findings", "raw_statistics/indicators",
            "finance/subsidy_payment", "resources/person", "clues/split_procurement", "published"} <= keys
    # raw → staging → published source layer → clue, as the asset graph shows it
    upstream = graph.get(dg.AssetKey(["clues", "payroll_subsidy_conflict"])).parent_keys
    assert any(k.path[0] in ("staging", "finance") for k in upstream)
    checks = {c.name for c in graph.get(dg.AssetKey(["raw_finance", "payroll"])).check_keys}
    assert checks == {"rows_present", "schema_unchanged", "quarantine_rate", "freshness"}
    assert all(s.default_status == dg.DefaultScheduleStatus.STOPPED for s in defs.schedules or [])


def test_raw_counts_equal_source_counts(pipeline_output: PipelineOutput):
    for system, tables in SQL_TABLES.items():
        for table in tables:
            expected = source_count(pipeline_output.sandbox, system, table)
            assert len(raw_rows(pipeline_output.home, f"raw_{system}.{table}")) == expected, table


def test_damaged_audit_rows_are_quarantined_and_counted(pipeline_output: PipelineOutput):
    store = open_store(load_settings(home=pipeline_output.home).metadata_url)
    with store.session() as s:
        reasons = s.execute(select(QuarantinedRow.reason_code, func.count()).where(
            QuarantinedRow.source == "audit").group_by(QuarantinedRow.reason_code)).all()
    assert sum(n for _, n in reasons) >= 5  # the generator damages five rows


def test_clue_keys_equal_expected(pipeline_output: PipelineOutput):
    assert clue_keys(pipeline_output.home) == expected_keys(pipeline_output.sandbox)


def test_every_dataset_is_cataloged_with_lineage(pipeline_output: PipelineOutput):
    store = open_store(load_settings(home=pipeline_output.home).metadata_url)
    with store.session() as s:
        datasets = {d.id: d for d in s.scalars(select(Dataset))}
        ups = {(e.upstream, e.downstream) for e in s.scalars(select(LineageEdge))}
        cols = {c.name: c for c in s.scalars(select(DatasetColumn).where(
            DatasetColumn.dataset_id == "finance.subsidy_payment"))}
    assert len([d for d in datasets if d.startswith("clues.")]) == 8
    for ds in datasets.values():
        assert ds.provider and ds.row_count is not None
        assert any(down == ds.id for _, down in ups), f"{ds.id} has no lineage"
    assert ("source:finance.subsidy_payment", "raw_finance.subsidy_payment") in ups
    sub = datasets["finance.subsidy_payment"]
    assert max(sub.level_inferred, sub.level_reviewed or 0) == 3
    assert {n: cols[n].pii_class for n in ("recipient_id_number", "recipient_name", "recipient_phone",
                                          "bank_card")} == {
        "recipient_id_number": "CN_RESIDENT_ID", "recipient_name": "PERSON",
        "recipient_phone": "CN_MOBILE", "bank_card": "CN_BANK_CARD"}
    assert datasets["statistics.indicators"].level_inferred == 1
    assert all(d.level_inferred == 4 for k, d in datasets.items() if k.startswith("clues."))
    assert all(d.current_version for d in datasets.values() if d.exchangeable)


def test_column_level_lineage_from_sqlmesh(pipeline_output: PipelineOutput):
    store = open_store(load_settings(home=pipeline_output.home).metadata_url)
    with store.session() as s:
        edges = {(e.upstream, e.upstream_column, e.downstream_column) for e in s.scalars(
            select(LineageEdge).where(LineageEdge.downstream == "clues.payroll_subsidy_conflict"))}
    assert ("staging.payroll", "record_id", "payroll_record_id") in edges
    assert ("staging.subsidy_payment", "payment_id", "payment_id") in edges
