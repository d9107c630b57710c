"""The SQLMesh step as Dagster assets: one spec per model, raw → staging → resources → clues.

One ``multi_asset`` plans, applies and runs the SQLMesh project (``hub.transform``)
and then registers every model's output in the catalog with its lineage.  Its
specs carry the models' dependencies, so the asset graph shows the whole lineage.
A failed SQLMesh audit fails the asset with the audit's message (no retry: data
problems are not transient).
"""


import json
from collections.abc import Iterator
from graphlib import TopologicalSorter

import dagster as dg
from dagster import AssetExecutionContext

from catalog.entries import DatasetFacts, register
from hub import transform
from hub.kms.warehouse import warehouse_key
from hub.orchestration.progress import report
from hub.orchestration.resources import HubResource
from hub.project import Project
from hub.warehouse import open_warehouse

GROUP_BY_SCHEMA = {"staging": "staging", "resources": "resources", "clues": "clues"}


def key_of(dataset: str) -> dg.AssetKey:
    return dg.AssetKey(dataset.split(".", 1))


def _upstreams(project: Project) -> dict[str, tuple[str, ...]]:
    """Each model's upstream datasets (raw tables included), from one SQLMesh project load."""
    return {m.name: tuple(sorted(set(m.upstream))) for m in transform.describe_models(project=project)}


def model_specs(upstreams: dict[str, tuple[str, ...]]) -> list[dg.AssetSpec]:
    """One spec per SQLMesh model with its upstream datasets as deps."""
    return [
        dg.AssetSpec(key=key_of(name), deps=[key_of(u) for u in deps],
                     group_name=GROUP_BY_SCHEMA.get(name.split(".")[0], "published"),
                     kinds={"sqlmesh", "duckdb"}, skippable=False)
        for name, deps in sorted(upstreams.items())
    ]


def _topological(names: list[str], ups: dict[str, tuple[str, ...]]) -> list[str]:
    """``names`` ordered so every model comes after its upstream models (Dagster requires it)."""
    graph = {name: {u for u in ups.get(name, ()) if u in names} for name in names}
    return list(TopologicalSorter(graph).static_order())


def _facts(datasets: list[str], project: Project) -> list[DatasetFacts]:
    """Lineage of each model: upstream datasets and, where SQLMesh resolves it, columns; drafts."""
    infos = {info.name: info for info in transform.describe_models(column_level=True, project=project)}
    facts = []
    for name in datasets:
        info = infos.get(name)
        if info is None:
            facts.append(DatasetFacts(name, draft=project.drafts.get(name)))
            continue
        columns = [(up, up_col, col) for col, pairs in info.column_lineage.items() for up, up_col in pairs]
        facts.append(DatasetFacts(name, upstream=list(info.upstream), column_lineage=columns,
                                  draft=project.drafts.get(name), primary_key=list(info.grain)))
    return facts


def _register(hub: HubResource, datasets: list[str], project: Project) -> None:
    with open_warehouse(hub.settings) as con, hub.store.session() as session:
        for facts in _facts(datasets, project):
            report("catalog", facts.dataset)
            register(session, con, facts, hub.event_sink())


def build_transform_assets(project: Project) -> dg.AssetsDefinition:
    """The SQLMesh multi-asset of ``project`` (core models, generated ones, accepted packages)."""
    upstreams = _upstreams(project)

    @dg.multi_asset(specs=model_specs(upstreams), name="sqlmesh_transforms", can_subset=False)
    def sqlmesh_transforms(context: AssetExecutionContext,
                           hub: HubResource) -> Iterator[dg.MaterializeResult]:
        report("transform", "SQLMesh plan and run")
        try:
            result = transform.run_transforms(hub.warehouse_path, as_of=hub.resolved_as_of(),
                                              state_path=hub.settings.home / "sqlmesh_state.duckdb",
                                              key=warehouse_key(hub.settings), project=project)
        except transform.TransformError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None
        specs = context.assets_def.specs
        names = _topological([spec.key.to_user_string().replace("/", ".") for spec in specs], upstreams)
        _register(hub, names, project)
        for name in names:
            yield dg.MaterializeResult(asset_key=key_of(name), metadata={
                "rows": dg.MetadataValue.int(result.row_counts.get(name, 0)),
                "executed": dg.MetadataValue.bool(name in result.executed),
                "warnings": dg.MetadataValue.text(json.dumps(result.warnings[:5], ensure_ascii=False)),
            })

    return sqlmesh_transforms
