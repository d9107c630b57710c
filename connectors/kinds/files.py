"""The ``files`` kind: a drop folder of CSV (UTF-8 or GB18030) and XLSX files.

Files matching a feed's pattern are read in order — the ``YYYYMM`` in the name,
then the name — so that for a key the row of the latest file wins.  The cursor is
the set of files already read, by name and SHA-256 of the content: a file seen
again unchanged is read once; a file whose content changed (a corrected
re-delivery under the same name) is read again, and so is a corrected file under a
new name.  Each file is checked whole and row by row (``connectors.kinds.delivery``):
a file that cannot be read as a whole is quarantined as a file and loads nothing,
damaged rows become ``Reject`` objects naming ``file:line`` and the reason, and a
``Delivery`` per file counts records read, loaded and quarantined.  Columns
``_source_file`` and ``_source_line``, when declared, say where each row came from.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field

from connectors.errors import ConnectorConfigError
from connectors.kinds.delivery import ORIGIN, Item, read_delivery
from connectors.sdk import Delivery, FileReject, Incremental, Resource, connector, file_names, resource
from connectors.tables import TableSpec

__all__ = ["ORIGIN", "FileFeed", "FilesConfig", "feed_resource", "file_order", "read_file", "read_folder"]
_MONTH = re.compile(r"(\d{6})")


class FileFeed(TableSpec):
    """A feed of a drop folder: a table spec plus the file name pattern."""

    pattern: str = "*.csv"


class FilesConfig(BaseModel):
    """Config of a drop-folder source: the folder and its feeds."""

    path: Path
    source: str = Field(default="files", pattern=r"^[a-z_][a-z0-9_]*$")
    feeds: list[FileFeed] = Field(default_factory=list)


def file_order(path: Path) -> tuple[str, str]:
    """Sort key of a dropped file: the YYYYMM in its name, then its name."""
    match = _MONTH.search(path.name)
    return (match[1] if match else "", path.name)


def read_file(path: Path, feed: FileFeed, data: bytes | None = None) -> Iterator[Item]:
    """The items of one dropped file, conformed to ``feed`` (``data``: its bytes, if already read)."""
    try:
        content = path.read_bytes() if data is None else data
    except OSError as exc:
        reason = f"cannot read {path.name}: {type(exc).__name__}: {exc.strerror or exc}"
        yield FileReject(path.name, "", "unreadable_file", reason)
        yield Delivery(path.name, 0, 0, 0, "unreadable_file")
        return
    yield from read_delivery(path.name, content, feed.schema, feed.primary_key)


def read_folder(folder: Path, feed: FileFeed, state: Incremental) -> Iterator[Item]:
    """Every new or changed file of the feed, oldest first; the cursor records them (a file
    quarantined whole included: it is read again only when its content changes)."""
    if not folder.is_dir():
        raise ConnectorConfigError(f"drop folder {folder} does not exist")
    seen: dict[str, str] = dict(state.start or {})
    for path in sorted((p for p in folder.glob(feed.pattern) if p.is_file()), key=file_order):
        try:
            data = path.read_bytes()
        except OSError:
            yield from read_file(path, feed)  # quarantined as unreadable; tried again next run
            continue
        digest = hashlib.sha256(data).hexdigest()
        if seen.get(path.name) == digest:
            continue
        yield from read_file(path, feed, data)
        seen[path.name] = digest
        state.advance(dict(seen))


VERSION_SQL = "regexp_extract({t}._source_file, '(\\d{{6}})') || '/' || {t}._source_file"


def feed_resource(folder: Path, feed: FileFeed) -> Resource:
    """A resource reading ``feed`` from ``folder``; the latest file wins per key."""

    def read(state: Incremental) -> Iterator[Item]:
        return read_folder(folder, feed, state)

    origin = ORIGIN[0] in feed.columns
    return resource(
        schema=feed.schema,
        primary_key=feed.primary_key,
        write_disposition=feed.write_disposition,
        cursor=file_names(),
        name=feed.name,
        version_sql=VERSION_SQL if origin and feed.primary_key else None,
        dedupe=bool(feed.primary_key),
        draft=feed.draft,
    )(read)


def _sample(directory: Path, empty: bool) -> FilesConfig:
    from connectors.samples import sample_files

    return FilesConfig(path=sample_files(directory, empty), source="sample_files", feeds=[NOTES_FEED])


NOTES_FEED = FileFeed(
    name="notes",
    columns={
        "note_id": "varchar",
        "amount": "decimal(18,2)",
        "noted_on": "date",
        "_source_file": "varchar",
        "_source_line": "bigint",
    },
    primary_key=["note_id"],
    pattern="notes_*",
)


@connector("files", config=FilesConfig, sample=_sample, source_name=lambda c: c.source)
def files(config: FilesConfig) -> list[Resource]:
    """CSV and XLSX files dropped in a folder, declared in configuration."""
    return [feed_resource(config.path, feed) for feed in config.feeds]
