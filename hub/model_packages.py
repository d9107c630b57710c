"""Connector-shipped SQLMesh models: found through the entry point, validated before they join.

A connector declares ``transforms=Path(__file__).parent / "transforms"``: a directory
laid out like the hub's own project — ``models/`` (the connector's models, in its
provider's schema or in ``staging``/``resources``/``clues``), ``audits/``, ``tests/``
(SQLMesh unit tests), ``macros/``.  Its models may read the raw tables and the
generated staging models (``hub.generated``).  Before a package joins the project:

1. it is loaded with the core project: a model that does not parse, reads an
   unknown column, takes a hub model's name or lies outside its schemas is refused;
2. every model it ships needs a unit test, and every unit test must pass;
3. its draft catalog entries (``entries/<dataset>.yaml``: ``dataset`` and the fields
   of ``connectors.Draft``), if any, must be well-formed and name its own models.

A refused package contributes nothing — its models are not in the project, so none
is materialized, cataloged or published — and the refusal names the model or the
test and what went wrong.  ``hub run`` prints refusals; ``hub connector check``
runs the same validation.  Results are kept per content (package files, core files,
declared tables), so an unchanged package is validated once per process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from connectors.draft import Draft
from connectors.errors import ConnectorError
from connectors.registry import get_connector
from connectors.sdk import Source
from hub import transform
from hub.project import TRANSFORMS_DIR, ModelPackage, Project

_VALIDATED: dict[str, str | None] = {}
Drafts = dict[str, Draft]


@dataclass(frozen=True)
class Refusal:
    """A package that was refused, and why."""

    connector: str
    reason: str
    kind: str = "connector"  # or "model package" (hub.federation)

    def __str__(self) -> str:
        return f"{self.kind} `{self.connector}`: models refused: {self.reason}"


def packages_of(sources: Iterable[Source]) -> list[ModelPackage]:
    """The model packages of the connectors serving ``sources`` (one per connector)."""
    found: dict[str, ModelPackage] = {}
    for source in sources:
        try:
            cdef = get_connector(source.connector)
        except ConnectorError:
            continue
        if cdef.transforms is None:
            continue
        known = found.get(cdef.name)
        providers = tuple(dict.fromkeys([*(known.providers if known else ()), source.provider]))
        found[cdef.name] = ModelPackage(cdef.name, cdef.transforms.resolve(), providers)
    return list(found.values())


def _digest(project: Project, package: ModelPackage) -> str:
    sha = hashlib.sha256(repr((project.tables, package)).encode())
    for root in (TRANSFORMS_DIR, package.path):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and ".cache" not in p.parts):
            sha.update(str(path).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def _model_files(package: ModelPackage) -> list[Path]:
    folder = package.path / "models"
    return [p for p in folder.rglob("*") if p.suffix in (".sql", ".py")] if folder.is_dir() else []


def drafts_of(package: ModelPackage) -> Drafts:
    """The draft entries a package ships (``entries/*.yaml``); ``ValueError`` naming a bad file."""
    drafts: Drafts = {}
    for path in sorted((package.path / "entries").glob("*.yaml")):
        try:
            data = dict(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
            dataset = str(data.pop("dataset", path.stem))
            drafts[dataset] = Draft.model_validate(data)
        except (OSError, yaml.YAMLError, ValidationError, TypeError, ValueError) as exc:
            raise ValueError(f"draft entry {path.name} is invalid: {exc}") from None
    return drafts


def _problem(project: Project, package: ModelPackage) -> str | None:
    """Why ``package`` cannot join ``project`` (``None``: it can)."""
    if not _model_files(package):
        return f"{package.path} ships no models (expected models/*.sql)"
    try:
        report = transform.inspect_package(project.with_packages([package]), package.path)
        drafts = drafts_of(package)
    except (transform.TransformError, ValueError) as exc:
        return str(exc)
    untested = [m for m in report.models if m not in report.tested]
    if untested:
        return f"model(s) without a unit test: {', '.join(untested)} (add tests/test_*.yaml)"
    if report.tests.failures:
        return (f"{len(report.tests.failures)} of {report.tests.tests_run} unit test(s) failed: "
                + "; ".join(report.tests.failures))
    strangers = sorted(set(drafts) - set(report.models))
    if strangers:
        return f"draft entries for datasets it does not ship: {', '.join(strangers)}"
    return None


def validate(project: Project, package: ModelPackage) -> str | None:
    """Why ``package`` is refused, or ``None`` when it may join (cached per content)."""
    key = _digest(project, package)
    if key not in _VALIDATED:
        _VALIDATED[key] = _problem(project, package)
    return _VALIDATED[key]


def accept(project: Project, packages: Iterable[ModelPackage]) -> tuple[Project, list[Refusal]]:
    """``project`` with every package that validates; the refusals of the others."""
    base = project.with_packages([])
    accepted, refused, drafts = [], [], dict(project.drafts)
    for package in packages:
        reason = validate(base, package)
        if reason is None:
            accepted.append(package)
            drafts.update(drafts_of(package))
        else:
            refused.append(Refusal(package.connector, reason, package.kind))
    return Project(base.tables, tuple(accepted), drafts), refused
