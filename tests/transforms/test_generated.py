"""Raw tables are what the sources declare; new ones get generated models; shipped packages are validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub import transform
from hub.generated import RawTable
from hub.model_packages import accept, validate
from hub.project import ModelPackage, Project, default_project

GRANTS = RawTable("city_grants", "items", "city", (("id", "BIGINT"), ("name", "VARCHAR"),
                                                    ("region_code", "VARCHAR"), ("amount", "DECIMAL(18,2)")),
                  ("id",), "城市补助")
MODEL = """MODEL (name {name}, kind FULL, grain region_code);
SELECT region_code, COUNT(*)::BIGINT AS items FROM staging.city_grants__items GROUP BY region_code
"""
TEST = """test_{stem}:
  model: {name}
  inputs:
    staging.city_grants__items:
      rows: [{{id: 1, region_code: "330106"}}, {{id: 2, region_code: "330106"}}]
  outputs:
    query:
      rows: [{{region_code: "330106", items: {items}}}]
"""


def _project() -> Project:
    return Project(default_project().tables + (GRANTS,))


def _package(root: Path, name: str, *, items: int | None = 2) -> ModelPackage:
    stem = name.replace(".", "_")
    (root / "models").mkdir(parents=True, exist_ok=True)
    (root / "tests").mkdir(exist_ok=True)
    (root / "models" / f"{stem}.sql").write_text(MODEL.format(name=name), encoding="utf-8")
    if items is not None:
        (root / "tests" / f"test_{stem}.yaml").write_text(TEST.format(stem=stem, name=name, items=items),
                                                          encoding="utf-8")
    return ModelPackage("city_grants", root.resolve(), ("city",))


def test_the_raw_tables_are_the_declared_ones_and_new_ones_get_typed_models() -> None:
    assert "raw_finance.payroll" in default_project().raw_tables  # declared by the finance profile
    models = {m.name: m for m in transform.describe_models(project=_project(), column_level=True)}
    staging, published = models["staging.city_grants__items"], models["city.items"]
    assert staging.upstream == ["raw_city_grants.items"] and staging.grain == ["id"]
    assert staging.columns["amount"] == "DECIMAL(18, 2)" and staging.kind == "FULL"
    assert published.kind == "VIEW" and published.upstream == ["staging.city_grants__items"]
    assert published.description is not None and published.description.startswith("城市补助")
    assert published.column_lineage["amount"] == [("staging.city_grants__items", "amount")]
    # the built-in tables are read by hand-written models: nothing is generated for them
    assert not any(name.startswith("staging.finance__") for name in models)


def test_a_generated_model_never_replaces_a_hub_model() -> None:
    clash = RawTable("other_finance", "payroll", "finance", (("id", "BIGINT"),), ("id",))
    with pytest.raises(transform.TransformError, match="model `finance.payroll` is both in"):
        transform.model_names(Project(default_project().tables + (clash,)))


def test_a_package_whose_unit_tests_pass_joins(tmp_path: Path) -> None:
    package = _package(tmp_path / "good", "city.items_by_region")
    joined, refused = accept(_project(), [package])
    assert refused == [] and joined.packages == (package,)
    assert "city.items_by_region" in transform.model_names(joined)


@pytest.mark.parametrize("name, items, message", [
    ("city.items_by_region", 3, "1 of 1 unit test(s) failed: test_city_items_by_region"),
    ("city.items_by_region", None, "model(s) without a unit test: city.items_by_region"),
    ("clues.duplicate_subsidy", 2, "model `clues.duplicate_subsidy` takes the name of a hub model"),
    ("finance.city_items", 2, "model `finance.city_items` is outside its schemas (city, staging, resources, clues)"),
])
def test_a_package_is_refused_naming_why(tmp_path: Path, name: str, items: int | None, message: str) -> None:
    package = _package(tmp_path / "pkg", name, items=items)
    reason = validate(_project(), package)
    assert reason is not None and message in reason
    joined, refused = accept(_project(), [package])
    assert joined.packages == () and [r.connector for r in refused] == ["city_grants"]
