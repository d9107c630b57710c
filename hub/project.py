"""The SQLMesh project the hub runs: ``transforms/`` plus what the sources declare.

No layer keeps a list of the raw tables: they are the tables the configured
sources declare (``Project.from_sources``).  ``HubLoader`` — SQLMesh's own loader,
extended — adds them to the core project as external models (their declared
columns start the column lineage) and generates a typed staging model and a
published view for each one no model reads (``hub.generated``).  Connector
packages that ship SQLMesh models join as further project paths, once
``hub.model_packages`` has validated them.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlmesh.core.dialect import parse
from sqlmesh.core.loader import SqlMeshLoader, get_variables
from sqlmesh.core.model import Model, create_external_model, load_sql_based_models
from sqlmesh.utils import UniqueKeyDict
from sqlmesh.utils.errors import ConfigError

from connectors.draft import Draft
from connectors.sdk import Source
from hub.generated import RawTable, published_sql, staging_sql
from hub.packaged import transforms_dir

TRANSFORMS_DIR = transforms_dir().resolve()  # the checkout's transforms/, or as installed (hub.packaged)


@dataclass(frozen=True)
class ModelPackage:
    """SQLMesh models (and audits, unit tests, macros) a connector ships: ``models/``, ``tests/``, …"""

    connector: str
    path: Path
    providers: tuple[str, ...] = ()  # the schemas besides staging/resources/clues its models may use
    kind: str = "connector"  # or "model package": a shared model (hub.federation), named so in refusals


@dataclass(frozen=True)
class Project:
    """The raw tables the sources declare, and the model packages that join the core project."""

    tables: tuple[RawTable, ...] = ()
    packages: tuple[ModelPackage, ...] = ()
    drafts: dict[str, Draft] = field(default_factory=dict, compare=False)  # dataset → draft

    @classmethod
    def from_sources(cls, sources: t.Iterable[Source], packages: t.Iterable[ModelPackage] = ()) -> Project:
        tables, drafts = [], {}
        for source in sources:
            for res in source.resources:
                table = RawTable.of(source, res)
                tables.append(table)
                if res.draft is not None:
                    drafts[table.published] = res.draft
        return cls(tuple(tables), tuple(packages), drafts)

    @property
    def raw_tables(self) -> list[str]:
        return [t.dataset for t in self.tables]

    @property
    def paths(self) -> list[Path]:
        return [TRANSFORMS_DIR, *(p.path for p in self.packages)]

    def with_packages(self, packages: t.Iterable[ModelPackage]) -> Project:
        return Project(self.tables, tuple(packages), self.drafts)

    def loader_kwargs(self) -> dict[str, t.Any]:
        return {"tables": [table.as_dict() for table in self.tables],
                "packages": {str(p.path.resolve()): [p.connector, *p.providers] for p in self.packages}}


def _short(fqn: str) -> str:
    return ".".join(p.strip('"') for p in fqn.split(".")[-2:])


LAYERS = ("staging", "resources", "clues")  # schemas any package may add models to, besides its providers'


class HubLoader(SqlMeshLoader):
    """SQLMesh's loader, plus the declared raw tables and the models generated from them.

    Only the core project (``transforms/``) gets them; it loads first and leaves its
    model names on the context, so that a package path (loaded after it) can refuse
    a model that would take a core model's name — SQLMesh itself would let the later
    project silently replace it — or that lies outside its provider's schema and the
    hub's layers.
    """

    def __init__(self, context: t.Any, path: Path, tables: t.Sequence[dict[str, t.Any]] = (),
                 packages: dict[str, list[str]] | None = None) -> None:
        super().__init__(context, path)
        self._tables = [RawTable.from_dict(dict(d)) for d in tables]
        self._package = (packages or {}).get(str(path.resolve()))

    def _load_models(self, macros: t.Any, jinja_macros: t.Any, gateway: str | None, audits: t.Any,
                     signals: t.Any, model_fqns: set[str] | None = None,
                     use_project_index: bool = False) -> tuple[UniqueKeyDict[str, Model], set[str] | None]:
        models, indexed = super()._load_models(macros, jinja_macros, gateway, audits, signals, model_fqns,
                                               use_project_index)
        if self.config_path.resolve() != TRANSFORMS_DIR:
            self._check_package(models)
            return models, indexed
        read = {_short(dep) for model in models.values() for dep in (model.depends_on or ())}
        for table in self._tables:
            self._add(models, self._external(table))
            if table.dataset not in read:
                for model in self._generated(table, macros, jinja_macros, audits):
                    self._add(models, model)
        self.context._hub_core_models = set(models)  # type: ignore[attr-defined]
        return models, indexed

    def _check_package(self, models: UniqueKeyDict[str, Model]) -> None:
        if self._package is None:
            raise ConfigError(f"{self.config_path} is not a validated connector model package")
        connector, *providers = self._package
        core: set[str] = getattr(self.context, "_hub_core_models", set())
        for fqn, model in models.items():
            name = _short(fqn)
            if fqn in core:
                raise ConfigError(f"connector `{connector}`: model `{name}` takes the name of a hub model")
            if name.split(".")[0] not in (*providers, *LAYERS) and not model.kind.is_external:
                raise ConfigError(f"connector `{connector}`: model `{name}` is outside its schemas "
                                  f"({', '.join([*providers, *LAYERS])})")

    @staticmethod
    def _add(models: UniqueKeyDict[str, Model], model: Model) -> None:
        if model.fqn in models:
            raise ConfigError(f"model `{_short(model.fqn)}` is both in {models[model.fqn]._path} and "
                              "declared by a source (rename the table or its provider)")
        models[model.fqn] = model

    def _external(self, table: RawTable) -> Model:
        return create_external_model(
            table.dataset, columns=dict(table.columns), defaults=self.config.model_defaults.dict(),
            path=self.config_path / "external_models.yaml", project=self.config.project,
            dialect=self.config.model_defaults.dialect, default_catalog=self.context.default_catalog)

    def _generated(self, table: RawTable, macros: t.Any, jinja_macros: t.Any, audits: t.Any) -> list[Model]:
        out = []
        for name, sql in ((table.staging, staging_sql(table)), (table.published, published_sql(table))):
            path = self.config_path / "models" / "generated" / f"{name}.sql"  # virtual: never written
            out += load_sql_based_models(
                parse(sql, default_dialect=self.config.model_defaults.dialect), get_variables, path=path,
                module_path=self.config_path, dialect=self.config.model_defaults.dialect,
                default_catalog_per_gateway=self.context.default_catalog_per_gateway,
                defaults=self.config.model_defaults.dict(), macros=macros, jinja_macros=jinja_macros,
                audit_definitions=audits, time_column_format=self.config.time_column_format,
                physical_schema_mapping=self.config.physical_schema_mapping, project=self.config.project,
                default_catalog=self.context.default_catalog,
                infer_names=self.config.model_naming.infer_names,
                virtual_environment_mode=self.config.virtual_environment_mode)
        return out


PLACEHOLDER_URL = "http://127.0.0.1:9"  # building sources needs a URL even though nothing is contacted


@lru_cache(maxsize=1)
def default_project() -> Project:
    """The project over the default sources (the built-in profiles), without packages."""
    from connectors.sdk import SandboxEnv
    from connectors.sources import default_sources

    defaults = default_sources(SandboxEnv(Path("/nonexistent-sandbox"), PLACEHOLDER_URL))
    return Project.from_sources(cdef.build(config, name) for name, (cdef, config) in defaults.items())
