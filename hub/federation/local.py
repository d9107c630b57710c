"""The model packages of this hub: ``$HUB_HOME/models/<name>/``, authored here or installed.

A package authored here is a directory the hub's modellers write (``manifest``); an
installed one was written by ``hub model install`` with the signed package it came
from (``package.jws``) and a row in ``installed_models``.  Both join the SQLMesh
project of every ``hub run`` (``hub.orchestration.resources``) after the checks any
shipped model passes (``hub.model_packages``: loads with the hub's project, every
model unit-tested, every test green) and, first, these:

* the static checks of ``safety`` (what a package may contain);
* an installed package must still be exactly what its publisher signed — its files
  equal the signed payload, the payload's SHA-256 the one recorded at install — and
  not withdrawn by its publisher (``revocations``): a withdrawn model leaves the
  project (its ``clues.<name>`` is no longer produced), an altered one is refused.

``entries/clues.<name>.yaml`` (the draft catalog entry, from the manifest) is written
beside the files so that the catalog names the clue dataset in Chinese.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from hub.federation import manifest as manifests
from hub.federation import safety
from hub.federation.errors import PackageRefused
from hub.model_packages import Refusal
from hub.project import ModelPackage
from hub.settings import Settings
from hub.store.models import InstalledModel

SIGNED = "package.jws"  # the package as its publisher signed it (installed packages)
ENTRIES = "entries"
GENERATED = (SIGNED, ENTRIES, ".cache")  # what the hub writes beside a package's own files
KIND = "model package"


@dataclass(frozen=True)
class LocalModel:
    """One package directory and what the hub knows of it."""

    name: str
    path: Path
    installed: InstalledModel | None  # None: authored here

    @property
    def origin(self) -> str:
        return f"installed from {self.installed.publisher}" if self.installed else "authored here"


def models_dir(settings: Settings) -> Path:
    return settings.home / "models"


def files_of(directory: Path) -> dict[str, str]:
    """Every file of a package directory by relative path, but what the hub generated beside it."""
    files = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        relative = path.relative_to(directory).as_posix()
        if relative.split("/")[0] in GENERATED:
            continue
        try:
            files[relative] = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PackageRefused(f"model package file `{relative}` is unreadable as UTF-8 text: {exc}") from None
    return files


def write_draft(directory: Path, manifest: manifests.Manifest) -> None:
    """``entries/clues.<name>.yaml`` from the manifest (rewritten only when it changed)."""
    path = directory / ENTRIES / f"{manifest.dataset}.yaml"
    text = yaml.safe_dump(manifest.draft(), allow_unicode=True, sort_keys=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def discover(settings: Settings, session: Session) -> list[LocalModel]:
    """Every package directory under ``$HUB_HOME/models`` (hidden staging folders left out)."""
    root = models_dir(settings)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found.append(LocalModel(path.name, path, session.get(InstalledModel, path.name)))
    return found


def _check_installed(model: LocalModel) -> None:
    """An installed package's files are exactly what its publisher signed."""
    from hub.federation import signed

    assert model.installed is not None
    try:
        text = (model.path / SIGNED).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError):
        raise PackageRefused(f"installed package `{model.name}` lost its signed original ({SIGNED})") from None
    if hashlib.sha256(text.encode()).hexdigest() != model.installed.package_sha256:
        raise PackageRefused(f"installed package `{model.name}`: {SIGNED} is not the package installed")
    signed_files = signed.read(text, "hub-model+jws", SIGNED).document().get("files")
    if files_of(model.path) != signed_files:
        raise PackageRefused(f"installed package `{model.name}`: its files differ from what "
                             f"`{model.installed.publisher}` signed (altered on disk): reinstall it")


def check(model: LocalModel) -> manifests.Manifest:
    """Every check but the SQLMesh validation; the package's manifest."""
    if model.installed is not None:
        _check_installed(model)
    elif (model.path / SIGNED).exists():
        raise PackageRefused(f"{model.path} holds a signed package but no install record (an install that did "
                             "not finish): run `hub model install` again")
    files = files_of(model.path)
    manifest = manifests.parse(files.get(manifests.MANIFEST, ""), str(model.path))
    if manifest.name != model.name:
        raise PackageRefused(f"{model.path}: {manifests.MANIFEST} names model `{manifest.name}`, the folder "
                             f"`{model.name}`")
    safety.check(files, manifest)
    return manifest


def package_of(model: LocalModel) -> ModelPackage:
    return ModelPackage(model.name, model.path.resolve(), (), KIND)


def project_packages(settings: Settings, session: Session) -> tuple[list[ModelPackage], list[Refusal]]:
    """The packages that join this hub's project (withdrawn ones leave), and the refusals."""
    packages, refused = [], []
    for model in discover(settings, session):
        if model.installed is not None and model.installed.revoked_at is not None:
            continue
        try:
            manifest = check(model)
        except PackageRefused as exc:
            refused.append(Refusal(model.name, str(exc), KIND))
            continue
        write_draft(model.path, manifest)
        packages.append(package_of(model))
    return packages, refused
