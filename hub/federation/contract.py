"""The input contract of a model package, checked against this hub's catalog.

A package says, in catalog terms, which published datasets it reads and which
columns of each (``model.yaml`` ``inputs``).  Before it is installed — and before a
hub publishes it — every dataset must be in the local catalog with every listed
column; what is missing is named, dataset by dataset, so an operator knows which
source to connect first.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.federation.errors import PackageRefused
from hub.federation.manifest import Manifest
from hub.store.models import Dataset, DatasetColumn


def missing_inputs(session: Session, manifest: Manifest) -> list[str]:
    """What of the input contract this hub's catalog lacks (empty when it is met)."""
    problems = []
    for dataset, wanted in sorted(manifest.inputs.items()):
        if session.get(Dataset, dataset) is None:
            problems.append(f"dataset `{dataset}` is not in the local catalog")
            continue
        have = set(session.scalars(select(DatasetColumn.name).where(DatasetColumn.dataset_id == dataset)))
        lacking = [c for c in wanted if c not in have]
        if lacking:
            problems.append(f"dataset `{dataset}` has no column(s) {', '.join(lacking)}")
    return problems


def check(session: Session, manifest: Manifest) -> None:
    """Raise ``PackageRefused`` naming every missing input."""
    problems = missing_inputs(session, manifest)
    if problems:
        raise PackageRefused(f"model `{manifest.name}` {manifest.version}: its input contract is not met here: "
                             + "; ".join(problems))
