"""Publishing: immutable, versioned Parquet snapshots of exchangeable datasets.

Each publish writes ``$HUB_HOME/published/<dataset>/v<N>.parquet`` with a stable
``_row_id`` (row order = ``ORDER BY ALL``, so equal content gives equal files) and a
pre-redacted twin ``<column>__redacted`` for every free-text column, so request-time
masking never runs NLP.  An unchanged dataset publishes nothing new.  Old versions
are retired beyond the retention setting (files removed, rows kept for the record).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.masking import quote_ident
from hub.store.models import Dataset, DatasetColumn, DatasetVersion

ROW_ID = "_row_id"
REDACTED_SUFFIX = "__redacted"
Redactor = Callable[[Sequence[str | None]], list[str | None]]


def snapshot_dir(published: Path, dataset: str) -> Path:
    return published / dataset


def _read(con: duckdb.DuckDBPyConnection, dataset: str) -> pa.Table:
    schema, table = dataset.split(".", 1)
    rel = f"{quote_ident(schema)}.{quote_ident(table)}"
    return con.execute(f"SELECT * FROM {rel} ORDER BY ALL").to_arrow_table()  # noqa: S608


def _with_twins(table: pa.Table, free_text: list[str], redact: Redactor) -> pa.Table:
    table = table.add_column(0, ROW_ID, pa.array(range(table.num_rows), pa.int64()))
    for name in free_text:
        if name in table.column_names:
            redacted = redact(table.column(name).to_pylist())
            table = table.append_column(name + REDACTED_SUFFIX, pa.array(redacted, pa.string()))
    return table


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _schema_sha(table: pa.Table) -> str:
    return hashlib.sha256(str(table.schema).encode()).hexdigest()


def latest(session: Session, dataset: str) -> DatasetVersion | None:
    return session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset)
                           .order_by(DatasetVersion.number.desc()).limit(1)).first()


def publish(session: Session, con: duckdb.DuckDBPyConnection, ds: Dataset, published: Path,
            redact: Redactor, retention: int) -> DatasetVersion | None:
    """Publish a new version of ``ds`` if its content changed; return it (or None)."""
    free_text = [c.name for c in session.scalars(select(DatasetColumn).where(
        DatasetColumn.dataset_id == ds.id, DatasetColumn.free_text.is_(True)))]
    table = _with_twins(_read(con, ds.id), free_text, redact)
    folder = snapshot_dir(published, ds.id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}.parquet"
    pq.write_table(table, tmp, compression="zstd")
    content = _sha256(tmp)
    prev = latest(session, ds.id)
    if prev is not None and prev.content_sha256 == content:
        tmp.unlink()
        return None
    number = (prev.number if prev else 0) + 1
    final = folder / f"v{number}.parquet"
    os.replace(tmp, final)
    version = DatasetVersion(dataset_id=ds.id, version=f"v{number}", number=number, content_sha256=content,
                             schema_sha256=_schema_sha(table), row_count=table.num_rows, path=str(final),
                             created_at=datetime.now(UTC))
    session.add(version)
    ds.current_version, ds.published_at = version.version, version.created_at
    _retire(session, ds.id, keep=retention, newest=number, folder=folder)
    return version


def _retire(session: Session, dataset: str, keep: int, newest: int, folder: Path) -> None:
    old = session.scalars(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset, DatasetVersion.number <= newest - keep,
        DatasetVersion.retired_at.is_(None)))
    for version in old:
        # This hub's own file, never the recorded absolute path: in a HUB_HOME copied or
        # restored elsewhere that path still names the original home's file.
        (folder / f"{version.version}.parquet").unlink(missing_ok=True)
        version.retired_at = datetime.now(UTC)
