"""The publish step as a Dagster asset: immutable snapshots of every exchangeable dataset.

Runs after the transforms; for each exchangeable catalog entry it writes a new
Parquet version when the content changed (``catalog.publish``), with free-text
columns pre-redacted by Presidio so request-time masking never runs NLP.
"""


import dagster as dg
from dagster import AssetExecutionContext
from sqlalchemy import select

from catalog.publish import publish
from hub.kms.parquet import snapshot_sealer
from hub.orchestration.progress import report
from hub.orchestration.resources import HubResource
from hub.store.models import Dataset
from hub.warehouse import open_warehouse


def _redactor():  # type: ignore[no-untyped-def]
    from catalog.redact import redact_texts

    return lambda texts: redact_texts(texts)


def build_publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """The ``published`` asset, downstream of every transform output."""

    @dg.asset(key=dg.AssetKey("published"), deps=upstream, group_name="publish", kinds={"parquet"})
    def published(context: AssetExecutionContext, hub: HubResource) -> dg.MaterializeResult:
        """Publish new versions of exchangeable datasets whose content changed."""
        new: dict[str, str] = {}
        sealer = snapshot_sealer(hub.settings)
        with open_warehouse(hub.settings) as con, hub.store.session() as session:
            datasets = list(session.scalars(select(Dataset).where(Dataset.exchangeable.is_(True))
                                            .order_by(Dataset.id)))
            for ds in datasets:
                report("publish", ds.id)
                version = publish(session, con, ds, hub.settings.published_dir, _redactor(),
                                  hub.settings.published_retention, sealer=sealer)
                if version is not None:
                    new[ds.id] = version.version
        context.log.info("published %d new versions", len(new))
        return dg.MaterializeResult(metadata={
            "new_versions": dg.MetadataValue.json(new),
            "datasets": dg.MetadataValue.int(len(datasets)),
        })

    return published
