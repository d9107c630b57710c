"""Catalog entries after a real pipeline run: reviewed values, levels, lineage, DCAT, CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from catalog import levels, listing
from hub.cli import app
from hub.settings import load_settings
from hub.store import open_store
from tests.conftest import PipelineOutput


@pytest.mark.parametrize(("inferred", "reviewed", "effective"), [(3, None, 3), (3, 4, 4), (3, 1, 3), (1, 5, 5)])
def test_reviewed_level_only_raises(inferred, reviewed, effective):
    assert levels.effective_level(inferred, reviewed) == effective


@pytest.mark.parametrize(("inferred", "reviewed", "effective"), [
    ("unconditional", "conditional", "conditional"), ("conditional", "unconditional", "conditional"),
    ("conditional", "none", "none"), ("unconditional", None, "unconditional")])
def test_reviewed_sharing_only_tightens(inferred, reviewed, effective):
    assert levels.effective_sharing(inferred, reviewed) == effective


def _show(out: PipelineOutput, dataset: str) -> dict:
    store = open_store(load_settings(home=out.home).metadata_url)
    with store.session() as s:
        return listing.show(s, dataset)


def test_entry_holds_core_metadata(pipeline_output: PipelineOutput):
    doc = _show(pipeline_output, "finance.subsidy_payment")
    assert doc["resource_code"] and doc["name_zh"] == "惠民惠农补贴发放" and doc["provider"] == "finance"
    assert doc["level"] == 3 and doc["sharing_type"] == "conditional" and doc["region_column"] == "township_code"
    assert doc["versions"] and doc["versions"][0]["sha256"]
    assert any(up.startswith("staging.") for up, _, _ in doc["lineage"]["upstream"])
    assert {c["name"]: c["description"] for c in doc["columns"]}["recipient_phone"] == "领取人手机号码"


def test_reviewed_level_is_kept_beside_the_inferred_one(pipeline_output: PipelineOutput):
    doc = _show(pipeline_output, "resources.person")
    assert doc["level_reviewed"] == 4 and doc["level"] == 4 and doc["level_inferred"] <= 4
    assert doc["reviewed_by"]


def test_cli_list_show_and_dcat(pipeline_output: PipelineOutput, monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_HOME", str(pipeline_output.home))
    from hub.settings import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    listed = runner.invoke(app, ["catalog", "list", "--layer", "clue"])
    assert listed.exit_code == 0 and "clues.split_procurement" in listed.output
    out = tmp_path / "dcat.json"
    exported = runner.invoke(app, ["catalog", "export", "--dcat", "--out", str(out)])
    assert exported.exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    ids = {d["dct:identifier"] for d in doc["dcat:dataset"]}
    assert doc["@type"] == "dcat:Catalog" and "finance.subsidy_payment" in ids
    assert not any(i.startswith(("raw_", "staging.")) for i in ids)  # only exchangeable datasets
    missing = runner.invoke(app, ["catalog", "show", "finance.salary"])
    assert missing.exit_code != 0
    get_settings.cache_clear()
