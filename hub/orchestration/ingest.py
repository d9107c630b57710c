"""Ingest assets: one Dagster asset per source resource, grouped by source system.

Each asset loads its resource into ``raw_<source>.<table>`` (``hub.warehouse``:
one DuckDB transaction per resource, cursor included), registers the raw dataset
in the catalog, and reports asset checks beside it: rows present, schema
unchanged against the catalog (drift names the columns), quarantine rate under a
threshold, and freshness of the newest cursor value.  Transient source errors
are retried with backoff and jitter; terminal ones fail at once.
"""


from datetime import date, datetime, timedelta

import dagster as dg
from dagster import AssetExecutionContext
from sqlalchemy import select

from catalog.entries import DatasetFacts, register
from connectors.sdk import Source
from hub.errors import HubError
from hub.kms.warehouse import warehouse_key
from hub.orchestration.progress import report
from hub.orchestration.resources import HubResource
from hub.store.models import DatasetColumn
from hub.warehouse import open_warehouse

RETRY = dg.RetryPolicy(max_retries=3, delay=1.0, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)
MAX_QUARANTINE_RATE = 0.05
FRESHNESS_DAYS = 45
CHECKS = ("rows_present", "schema_unchanged", "quarantine_rate", "freshness")


def raw_key(source: str, resource: str) -> dg.AssetKey:
    return dg.AssetKey([f"raw_{source}", resource])


def _catalog_schema(hub: HubResource, dataset: str) -> dict[str, str]:
    with hub.store.session() as session:
        rows = session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset))
        return {c.name: c.data_type for c in rows}


def _warehouse_schema(hub: HubResource, dataset: str) -> dict[str, str]:
    schema, table = dataset.split(".", 1)
    with open_warehouse(hub.settings) as con:
        rows = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE "
                           "table_schema = ? AND table_name = ?", [schema, table]).fetchall()
    return {str(n): str(t) for n, t in rows}


def drift(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Human-readable schema differences (empty when unchanged or first seen)."""
    if not before:
        return []
    added = [f"+{c}" for c in after if c not in before]
    removed = [f"-{c}" for c in before if c not in after]
    changed = [f"~{c} {before[c]}→{after[c]}" for c in after if c in before and before[c] != after[c]]
    return added + removed + changed


def _fresh(cursor_value: object, as_of: str) -> bool | None:
    if not isinstance(cursor_value, (datetime, date)):
        return None
    newest = cursor_value.date() if isinstance(cursor_value, datetime) else cursor_value
    return newest >= date.fromisoformat(as_of) - timedelta(days=FRESHNESS_DAYS)


def _checks(key: dg.AssetKey, result: object, diffs: list[str], fresh: bool | None,
            rows: int) -> list[dg.AssetCheckResult]:
    read = getattr(result, "rows_read", 0)  # loaded + quarantined
    rate = getattr(result, "quarantined", 0) / read if read else 0.0
    return [
        dg.AssetCheckResult(asset_key=key, check_name="rows_present", passed=rows > 0,
                            metadata={"rows": rows}),
        dg.AssetCheckResult(asset_key=key, check_name="schema_unchanged", passed=not diffs,
                            metadata={"drift": ", ".join(diffs) or "none"},
                            description=("schema drift: " + ", ".join(diffs)) if diffs else None),
        dg.AssetCheckResult(asset_key=key, check_name="quarantine_rate", passed=rate <= MAX_QUARANTINE_RATE,
                            metadata={"rate": rate, "threshold": MAX_QUARANTINE_RATE}),
        dg.AssetCheckResult(asset_key=key, check_name="freshness", passed=fresh is not False,
                            severity=dg.AssetCheckSeverity.WARN,
                            metadata={"max_age_days": FRESHNESS_DAYS, "known": fresh is not None}),
    ]


def _provider(hub: HubResource, source: Source) -> None:
    """Register the source's declared provider if new; fail naming it when it is unknown."""
    from hub.providers import for_source

    with hub.store.session() as session:
        for_source(session, hub.event_sink(), source)


def _origin(source: Source, resource_name: str, result: object) -> dict[str, object] | None:
    """The provenance a pulled dataset's cursor carries (``connectors.pulled_version``), if any."""
    cursor = source.resource(resource_name).cursor
    after = getattr(result, "cursor_after", None)
    if cursor is None or cursor.kind != "origin" or not isinstance(after, dict):
        return None
    origin = after.get("origin")
    return dict(origin) if isinstance(origin, dict) else None


def _load(hub: HubResource, source_name: str, resource_name: str, run_id: str):  # type: ignore[no-untyped-def]
    from hub.warehouse import ingest_resource

    source = next(s for s in hub.sources() if s.name == source_name)
    return ingest_resource(hub.warehouse_path, source, resource_name, hub.store, run_id,
                           key=warehouse_key(hub.settings))


def _metadata(result: object) -> dict[str, dg.MetadataValue]:
    data = result.as_metadata()  # type: ignore[attr-defined]
    meta: dict[str, dg.MetadataValue] = {"schema": dg.MetadataValue.json(data.pop("schema")),
                                         "deliveries": dg.MetadataValue.json(data.pop("deliveries"))}
    for key, value in data.items():
        is_int = isinstance(value, int)
        meta[key] = dg.MetadataValue.int(value) if is_int else dg.MetadataValue.text(str(value))
    return meta


def ingest_asset(source: Source, resource_name: str) -> dg.AssetsDefinition:
    """The asset that loads ``raw_<source>.<resource>``."""
    key = raw_key(source.name, resource_name)
    dataset = f"raw_{source.name}.{resource_name}"
    specs = [dg.AssetCheckSpec(name, asset=key) for name in CHECKS]

    @dg.asset(key=key, group_name=source.name, retry_policy=RETRY, check_specs=specs, kinds={"duckdb"},
              description=source.resource(resource_name).description or f"{dataset} from {source.name}")
    def _ingest(context: AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
        report("ingest", dataset)
        before = _catalog_schema(hub, dataset)
        try:
            _provider(hub, source)
            result = _load(hub, source.name, resource_name, context.run.run_id)
        except HubError as exc:
            raise dg.Failure(description=str(exc), allow_retries=exc.retryable) from None
        after = _warehouse_schema(hub, dataset)
        with hub.store.session() as session, open_warehouse(hub.settings) as con:
            entry = register(session, con, DatasetFacts(dataset, upstream=[f"source:{source.name}."
                                                                           f"{resource_name}"],
                                                        provider=source.provider,
                                                        origin=_origin(source, resource_name, result)),
                             hub.event_sink())
            rows = entry.row_count or 0
        checks = _checks(key, result, drift(before, after), _fresh(result.cursor_after, hub.resolved_as_of()),
                         rows)
        return dg.MaterializeResult(metadata=_metadata(result), check_results=checks)

    return _ingest
