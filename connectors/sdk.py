"""The connector SDK: declare sources, resources, cursors and write dispositions.

A connector is a function that, given its validated pydantic config, returns the
resources of one source system.  Each resource is a generator function decorated
with ``@resource(...)`` that declares, where it is defined, the resource's Arrow
schema, primary key, incremental cursor and write disposition (as dlt's
``@resource`` and ``incremental("updated_at")`` do), and yields
``pyarrow.RecordBatch`` objects matching that schema — plus ``Reject`` objects for
source rows that failed type or key checks (they go to quarantine); a file-drop
reader also yields a ``FileReject`` for a file it cannot read as a whole and a
``Delivery`` per file (records read, loaded, quarantined).  The loader in
``hub.warehouse`` drives the generator with an ``Incremental`` holding the cursor
committed by the previous run.

A connector also declares what the layers after ingest need, so that none of them
keeps a list of its own: the ``Provider`` (department) whose system it reads, a
``Draft`` catalog entry per resource, optionally a directory of SQLMesh models it
ships (``transforms=``), and, for the built-in profiles, how to point it at the
hub's sandbox (``sandbox=``).

    @connector("demo_source", config=DemoConfig, provider=Provider(code="demo", name_zh="示例局"))
    def demo_source(config: DemoConfig) -> list[Resource]:
        @resource(schema=SCHEMA, primary_key="id", cursor=incremental("updated_at"),
                  draft=Draft(name_zh="示例数据", summary="……"))
        def items(state: Incremental) -> Iterator[pa.RecordBatch | Reject]:
            ...
        return [items]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ValidationError

from connectors.draft import Draft
from connectors.errors import ConnectorConfigError
from connectors.provider import Provider

WriteDisposition = Literal["append", "merge", "replace"]
CursorKind = Literal["column", "page_token", "files", "origin"]


@dataclass(frozen=True)
class Cursor:
    """How a resource resumes: a column (``updated_at``), a page token, or file names."""

    kind: CursorKind
    column: str | None = None

    def describe(self) -> str:
        return f"{self.kind}:{self.column}" if self.column else self.kind


def incremental(column: str) -> Cursor:
    """A cursor on a monotonically growing column (rows with a value ≥ the last one are read)."""
    return Cursor("column", column)


def page_token() -> Cursor:
    """A cursor that is the page token where the previous run stopped."""
    return Cursor("page_token")


def file_names() -> Cursor:
    """A cursor that is the set of files (name and content hash) already loaded."""
    return Cursor("files")


def pulled_version() -> Cursor:
    """A cursor that is the version of a dataset pulled from another hub (``huitong``), with its
    provenance under ``origin``: the catalog records it and keeps the origin's level (就高从严)."""
    return Cursor("origin")


@dataclass
class Incremental:
    """One read's cursor state: ``start`` as committed by the last run, ``end`` as advanced now."""

    cursor: Cursor | None
    start: Any = None
    end: Any = None

    def __post_init__(self) -> None:
        if self.end is None:
            self.end = self.start

    def advance(self, value: Any) -> None:
        """Move the cursor: the maximum for column cursors, the given value otherwise."""
        if value is None:
            return
        if self.cursor is not None and self.cursor.kind == "column" and self.end is not None:
            self.end = max(self.end, value)
        else:
            self.end = value


@dataclass(frozen=True)
class Reject:
    """A source row that failed a type or key check: where it was, what it held, why."""

    position: str
    raw: str
    reason_code: str
    reason: str


@dataclass(frozen=True)
class FileReject(Reject):
    """A delivered file that cannot be read as a whole (truncated, wrong encoding, wrong header):
    quarantined as one entry naming the file, its size and SHA-256, and what was found in it
    (``detail``, JSON); ``rows`` is how many records it holds when they can be counted (all of
    them are quarantined with the file).  ``position`` is the file name."""

    size: int = 0
    sha256: str = ""
    rows: int = 0
    detail: str = "{}"


@dataclass(frozen=True)
class Delivery:
    """What one delivered file held: records read, loaded and quarantined (read = loaded +
    quarantined, always); ``file_reason`` names the reason when the whole file was quarantined."""

    name: str
    read: int
    loaded: int
    quarantined: int
    file_reason: str | None = None

    def __post_init__(self) -> None:
        if self.read != self.loaded + self.quarantined:
            raise ValueError(f"delivery {self.name}: {self.read} read != {self.loaded} loaded "
                             f"+ {self.quarantined} quarantined")


ReadFn = Callable[[Incremental], Iterable["pa.RecordBatch | Reject | Delivery"]]


@dataclass(frozen=True)
class Resource:
    """One table or feed of a source, with its declarations and its reader."""

    name: str
    schema: pa.Schema
    read: ReadFn
    primary_key: tuple[str, ...] = ()
    write_disposition: WriteDisposition = "merge"
    cursor: Cursor | None = None
    version_sql: str | None = None  # SQL over alias ``{t}``: a newer version replaces an older one
    dedupe: bool = False  # several rows per key may arrive in one run; the newest wins
    description: str = ""
    draft: Draft | None = None  # the catalog entry proposed for the published table

    def __post_init__(self) -> None:
        names = set(self.schema.names)
        if self.draft is not None:
            unknown = sorted({*self.draft.columns, *([self.draft.region_column] if self.draft.region_column
                                                      else [])} - names)
            if unknown:
                raise ConnectorConfigError(f"resource `{self.name}`: draft names column(s) {unknown} not in schema")
        missing = [k for k in self.primary_key if k not in names]
        if missing:
            raise ConnectorConfigError(
                f"resource `{self.name}`: primary key column(s) {missing} not in schema"
            )
        if self.write_disposition == "merge" and not self.primary_key:
            raise ConnectorConfigError(f"resource `{self.name}`: write disposition merge needs a primary key")
        column = self.cursor.column if self.cursor else None
        if column and column not in names:
            raise ConnectorConfigError(f"resource `{self.name}`: cursor column `{column}` not in schema")

    def extract(self, start: Any = None) -> tuple[Incremental, Iterator[pa.RecordBatch | Reject | Delivery]]:
        """Start a read from the committed cursor value ``start``."""
        state = Incremental(self.cursor, start)
        return state, iter(self.read(state))


def resource(
    *,
    schema: pa.Schema,
    primary_key: str | Sequence[str] = (),
    write_disposition: WriteDisposition = "merge",
    cursor: Cursor | None = None,
    name: str | None = None,
    version_sql: str | None = None,
    dedupe: bool = False,
    draft: Draft | None = None,
) -> Callable[[ReadFn], Resource]:
    """Declare a resource on its reader function (dlt-style)."""
    keys = (primary_key,) if isinstance(primary_key, str) else tuple(primary_key)

    def wrap(fn: ReadFn) -> Resource:
        return Resource(
            name=name or fn.__name__,
            schema=schema,
            read=fn,
            primary_key=keys,
            write_disposition=write_disposition,
            cursor=cursor,
            version_sql=version_sql,
            dedupe=dedupe,
            description=(fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else "",
            draft=draft,
        )

    return wrap


@dataclass(frozen=True)
class Source:
    """A configured source system: its name (``raw_<name>``), resources and provider.

    ``provider`` is the code of the department it belongs to (the schema its tables
    are published in); ``declared_provider`` the full declaration when the connector or
    ``hub.yaml`` gives one (the hub registers it if it is new).
    """

    name: str
    resources: tuple[Resource, ...]
    connector: str = ""
    provider: str = ""
    declared_provider: Provider | None = None

    def __post_init__(self) -> None:
        if not self.provider:
            object.__setattr__(self, "provider", self.declared_provider.code if self.declared_provider
                               else self.name)

    def resource(self, name: str) -> Resource:
        """The resource called ``name``; ``ConnectorConfigError`` naming it otherwise."""
        for res in self.resources:
            if res.name == name:
                return res
        known = ", ".join(r.name for r in self.resources)
        raise ConnectorConfigError(f"source `{self.name}` has no resource `{name}` (has: {known})")


SampleFn = Callable[[Path, bool], BaseModel]


@dataclass(frozen=True)
class SandboxEnv:
    """Where the hub's sandbox of source systems is: its directory and its REST API's URL."""

    directory: Path
    api_url: str | None = None


SandboxFn = Callable[[SandboxEnv], Mapping[str, Any]]


@dataclass(frozen=True)
class ConnectorDef:
    """An installable connector: name, pydantic config model, resource builder, sample."""

    name: str
    config_model: type[BaseModel]
    build_fn: Callable[[Any], Iterable[Resource]]
    description: str = ""
    sample: SampleFn | None = None  # (directory, empty) → config of a tiny source, for checks
    source_name: Callable[[Any], str] | None = None
    provider: Provider | None = None  # the department whose system this reads
    transforms: Path | None = None  # a SQLMesh directory (models/, audits/, tests/) shipped with it
    sandbox: SandboxFn | None = None  # config against the hub's sandbox: a source configured by default
    _meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def validate_config(self, raw: BaseModel | Mapping[str, Any]) -> BaseModel:
        """Validate ``raw`` against the config model; errors name fields, never values."""
        if isinstance(raw, self.config_model):
            return raw
        data = raw.model_dump() if isinstance(raw, BaseModel) else dict(raw)
        try:
            return self.config_model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'config'}: {err['msg']}" for err in exc.errors()
            )
            raise ConnectorConfigError(f"connector `{self.name}`: bad config: {problems}") from None

    def build(self, raw: BaseModel | Mapping[str, Any], name: str | None = None,
              provider: Provider | str | None = None) -> Source:
        """The configured source (nothing is read until a resource is extracted).

        ``provider`` (from ``hub.yaml``) overrides the connector's declared provider.
        """
        config = self.validate_config(raw)
        source = name or (self.source_name(config) if self.source_name else self.name)
        declared = provider if isinstance(provider, Provider) else self.provider
        code = provider if isinstance(provider, str) else ""
        if code and declared is not None and declared.code != code:
            declared = None  # hub.yaml names another, registered provider
        return Source(name=source, resources=tuple(self.build_fn(config)), connector=self.name,
                      provider=code, declared_provider=declared)


def connector(
    name: str,
    *,
    config: type[BaseModel],
    description: str = "",
    sample: SampleFn | None = None,
    source_name: Callable[[Any], str] | None = None,
    provider: Provider | None = None,
    transforms: Path | str | None = None,
    sandbox: SandboxFn | None = None,
) -> Callable[[Callable[[Any], Iterable[Resource]]], ConnectorDef]:
    """Declare a connector on the function that builds its resources from its config."""

    def wrap(fn: Callable[[Any], Iterable[Resource]]) -> ConnectorDef:
        doc = description or ((fn.__doc__ or "").strip().splitlines() or [""])[0]
        shipped = Path(transforms) if transforms is not None else None
        return ConnectorDef(name, config, fn, doc, sample, source_name, provider, shipped, sandbox)

    return wrap
