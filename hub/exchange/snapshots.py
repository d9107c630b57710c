"""Published snapshots as the exchange sees them: path, catalog columns, policy resource.

``Snapshots.current(dataset)`` resolves the current published version of a dataset
with its catalog columns (``ColumnInfo``) and the decision-input ``resource``;
``Snapshots.earlier(snapshot, version)`` resolves the version a ``/changes`` request
starts from.  Lookups are cached for ``ttl_s`` (1 s) so a busy API does not read the
catalog on every request; a republish is seen within that time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub import inline
from hub.errors import BadRequest, HubError, NotFound
from hub.exchange.plan import ColumnInfo, Since
from hub.kms.parquet import Sealer, snapshot_reader
from hub.policy.resource import resource_input
from hub.settings import Settings
from hub.store.db import Store
from hub.store.models import DatasetColumn, DatasetVersion

REDACTED_SUFFIX = "__redacted"


class VersionGone(HubError):
    """A ``since`` version that was published once but whose snapshot is retired."""

    status = 410
    title = "version retired"


@dataclass(frozen=True)
class Snapshot:
    dataset: str
    version: str
    path: str
    catalog: dict[str, ColumnInfo]
    resource: dict[str, Any]


def unavailable(dataset: str) -> NotFound:
    """The one answer for a dataset that cannot be exchanged, whatever the reason.

    Unknown, cataloged but not a published layer, or published without a current
    snapshot: a caller must not tell these apart (an existence oracle, issue 23).
    """
    name = dataset[:160]
    return NotFound(f"dataset `{name}` is not available for exchange", dataset=name)


def _column_info(col: DatasetColumn) -> ColumnInfo:
    twin = col.name + REDACTED_SUFFIX if col.free_text else None
    return ColumnInfo(col.name, col.data_type, col.pii_class, twin)


class Snapshots:
    """Catalog lookups for the data endpoints, cached briefly."""

    def __init__(self, settings: Settings, store: Store, ttl_s: float = 1.0) -> None:
        self.settings = settings
        self.store = store
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, Snapshot]] = {}
        self._lock = threading.Lock()
        self.sealer: Sealer = snapshot_reader(settings)  # opens sealed snapshots in memory (hub.kms.parquet)

    def _path(self, dataset: str, version: DatasetVersion) -> str:
        local = self.settings.published_dir / dataset / f"{version.version}.parquet"
        return str(local if local.exists() else Path(version.path))

    def _load(self, dataset: str) -> Snapshot:
        with self.store.session() as session:
            try:
                resource = resource_input(session, dataset)
            except NotFound:
                raise unavailable(dataset) from None
            if not resource["exchangeable"] or not resource["version"]:
                raise unavailable(dataset)
            version = session.scalars(select(DatasetVersion).where(
                DatasetVersion.dataset_id == dataset, DatasetVersion.version == resource["version"])).first()
            if version is None or version.retired_at is not None:
                raise unavailable(dataset)
            cols = session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == dataset)
                                   .order_by(DatasetColumn.position))
            catalog = {c.name: _column_info(c) for c in cols}
            return Snapshot(dataset, version.version, self._path(dataset, version), catalog, resource)

    def current(self, dataset: str) -> Snapshot:
        """The current snapshot of ``dataset``; ``NotFound`` naming it otherwise."""
        if len(dataset) > 160:
            raise unavailable(dataset)
        now = time.monotonic()
        hit = self._cache.get(dataset)
        if hit is not None and now - hit[0] < self.ttl_s:
            return hit[1]
        inline.check("snapshot lookup in the store")
        snap = self._load(dataset)
        with self._lock:
            self._cache[dataset] = (now, snap)
        return snap

    def earlier(self, snap: Snapshot, since: str) -> Since:
        """The ``Since`` of a ``/changes`` request; 400 if unknown, 410 if retired."""
        inline.check("earlier version lookup in the store")
        with self.store.session() as session:
            found = session.scalars(select(DatasetVersion).where(
                DatasetVersion.dataset_id == snap.dataset, DatasetVersion.version == since)).first()
            if found is None:
                raise BadRequest(f"dataset `{snap.dataset}` has no version `{since[:32]}`; "
                                 f"the current version is `{snap.version}`", parameter="since")
            path = self._path(snap.dataset, found)
            retired = found.retired_at is not None
        if retired or not Path(path).exists():
            raise VersionGone(f"version `{since}` of `{snap.dataset}` is retired; request the full "
                              f"dataset (current version `{snap.version}`) instead", parameter="since")
        old = set(self.sealer.schema(path).names)
        return Since(path, tuple(c for c in snap.catalog if c in old))
