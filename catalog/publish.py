"""Publishing: immutable, versioned Parquet snapshots of exchangeable datasets.

Each publish writes ``$HUB_HOME/published/<dataset>/v<N>.parquet`` with a stable
``_row_id`` (row order = ``ORDER BY ALL``, so equal content gives equal files) and a
pre-redacted twin ``<column>__redacted`` for every free-text column, so request-time
masking never runs NLP.  An unchanged dataset publishes nothing new: ``content_sha256``
is the SHA-256 of the plain Parquet encoding, computed in memory.  With a ``sealer``
(``HUB_ENCRYPT_AT_REST``, the default) the file on disk is encrypted under a data key
of its own (``hub.kms.parquet``): every column of level ≥ 3 and its redacted twin.
Old versions are retired beyond the retention setting (files and their data keys
destroyed, rows kept for the record).
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

from hub.kms.parquet import Sealer, snapshot_key_id
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


def _plain_parquet(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _sensitive(cols: list[DatasetColumn]) -> list[str]:
    """What the sealer encrypts: columns of level ≥ 3 and every free-text column, with their redacted
    twins (free text may name people in rows the classifier's sample did not show it)."""
    return [name for c in cols if c.level >= 3 or c.free_text for name in (c.name, c.name + REDACTED_SUFFIX)]


def _schema_sha(table: pa.Table) -> str:
    return hashlib.sha256(str(table.schema).encode()).hexdigest()


def latest(session: Session, dataset: str) -> DatasetVersion | None:
    return session.scalars(select(DatasetVersion).where(DatasetVersion.dataset_id == dataset)
                           .order_by(DatasetVersion.number.desc()).limit(1)).first()


def publish(session: Session, con: duckdb.DuckDBPyConnection, ds: Dataset, published: Path,
            redact: Redactor, retention: int, sealer: Sealer | None = None) -> DatasetVersion | None:
    """Publish a new version of ``ds`` if its content changed; return it (or None)."""
    cols = list(session.scalars(select(DatasetColumn).where(DatasetColumn.dataset_id == ds.id)))
    table = _with_twins(_read(con, ds.id), [c.name for c in cols if c.free_text], redact)
    plain = _plain_parquet(table)
    content = hashlib.sha256(plain).hexdigest()
    prev = latest(session, ds.id)
    if prev is not None and prev.content_sha256 == content:
        return None
    number = (prev.number if prev else 0) + 1
    folder = snapshot_dir(published, ds.id)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}.parquet"
    if sealer is None:
        tmp.write_bytes(plain)
    else:
        general, personal = snapshot_key_id(ds.id, number), snapshot_key_id(ds.id, number, personal=True)
        for key_id in (general, personal):
            sealer.keys.delete(key_id)  # an earlier publish of this number that never committed
        sealer.write(table, tmp, sealer.keys.create(f"snapshot:{ds.id}@v{number}", general), _sensitive(cols),
                     personal=sealer.keys.create(f"snapshot:{ds.id}@v{number}:personal", personal))
    final = folder / f"v{number}.parquet"
    os.replace(tmp, final)
    version = DatasetVersion(dataset_id=ds.id, version=f"v{number}", number=number, content_sha256=content,
                             schema_sha256=_schema_sha(table), row_count=table.num_rows, path=str(final),
                             created_at=datetime.now(UTC))
    session.add(version)
    ds.current_version, ds.published_at = version.version, version.created_at
    _retire(session, ds.id, keep=retention, newest=number, folder=folder, sealer=sealer)
    return version


def _retire(session: Session, dataset: str, keep: int, newest: int, folder: Path, sealer: Sealer | None) -> None:
    old = session.scalars(select(DatasetVersion).where(
        DatasetVersion.dataset_id == dataset, DatasetVersion.number <= newest - keep,
        DatasetVersion.retired_at.is_(None)))
    for version in old:
        # This hub's own file, never the recorded absolute path: in a HUB_HOME copied or
        # restored elsewhere that path still names the original home's file.
        (folder / f"{version.version}.parquet").unlink(missing_ok=True)
        if sealer is not None:
            for personal in (False, True):
                sealer.keys.delete(snapshot_key_id(dataset, version.number, personal=personal))
        version.retired_at = datetime.now(UTC)
