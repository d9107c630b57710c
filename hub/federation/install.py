"""``hub model install FILE``: a shared model joins this hub only after every check passed.

In order, each failure refusing the whole package with the reason (and an audit
record ``model.refused`` naming the claimed publisher and the package's SHA-256):

1. the signature (``packages.read``): a signed package, by a trusted publisher
   (``publishers``), with one of its registered keys, over exactly these bytes;
2. not withdrawn: a version its publisher revoked is not installed again;
3. the name: not a model authored here, not another publisher's package;
4. the static checks (``safety``): only plain SQLMesh SQL over the declared inputs;
5. the input contract against the local catalog (``contract``): missing inputs named;
6. the SQLMesh validation any shipped model passes (``hub.model_packages``): the
   models load with this hub's project and every unit test passes — run in a staging
   folder, so a refused package leaves nothing behind.

Then the folder moves into ``$HUB_HOME/models/<name>/`` (replacing an older version
of the same publisher's package) with the signed original beside it, the install is
recorded in ``installed_models`` and audited, and the next ``hub run`` builds
``clues.<name>`` here.  It stays local: the clue dataset is exchanged only after an
officer's review and a grant, like any other.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from hub.events import MODEL_INSTALLED, MODEL_REFUSED, AuditEvent, EventSink
from hub.federation import contract, local, packages, safety
from hub.federation.errors import FederationError, ModelConflict, PackageRefused
from hub.settings import Settings
from hub.store.models import InstalledModel


def _check_name(settings: Settings, session: Session, package: packages.Package) -> InstalledModel | None:
    name = package.manifest.name
    row = session.get(InstalledModel, name)
    if row is None and (local.models_dir(settings) / name).exists():
        raise ModelConflict(f"model `{name}` is authored here; a package of the same name is not installed over it")
    if row is not None and row.publisher != package.publisher:
        raise ModelConflict(f"model `{name}` here was installed from `{row.publisher}`, not `{package.publisher}`")
    if row is not None and row.revoked_at is not None and row.version == package.manifest.version:
        raise PackageRefused(f"model `{name}` {row.version} was withdrawn by its publisher `{row.publisher}` "
                             f"at {row.revoked_at.isoformat()}: it is not installed again")
    return row


def verify(settings: Settings, session: Session, text: str, what: str) -> packages.Package:
    """Checks 1-5 (everything but the SQLMesh validation); the verified package."""
    package = packages.read(session, text, what)
    _check_name(settings, session, package)
    safety.check(package.files, package.manifest)
    contract.check(session, package.manifest)
    return package


def _stage(settings: Settings, package: packages.Package) -> Path:
    folder = local.models_dir(settings) / f".install-{package.manifest.name}-{uuid.uuid4().hex[:8]}"
    for relative, text in package.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / local.SIGNED).write_text(package.text, encoding="ascii")
    local.write_draft(folder, package.manifest)
    return folder


def _validate(settings: Settings, package: packages.Package, folder: Path) -> None:
    from hub import model_packages
    from hub.project import ModelPackage

    problem = model_packages.validate(packages.base_project(settings),
                                      ModelPackage(package.manifest.name, folder.resolve(), (), local.KIND))
    if problem is not None:
        raise PackageRefused(f"model `{package.manifest.name}` {package.manifest.version} from "
                             f"`{package.publisher}`: {problem}")


def _move_into_place(settings: Settings, name: str, folder: Path) -> Path:
    final = local.models_dir(settings) / name
    old = final.with_name(f".old-{name}-{uuid.uuid4().hex[:8]}")
    if final.exists():
        final.rename(old)
    folder.rename(final)
    shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(final / ".cache", ignore_errors=True)  # SQLMesh's cache of the staging path
    return final


def install(settings: Settings, session: Session, sink: EventSink, text: str, *, what: str,
            installed_by: str = "operator:hub") -> InstalledModel:
    """Install a signed package (see the module docstring); ``PackageRefused`` and friends otherwise."""
    package = verify(settings, session, text, what)
    folder = _stage(settings, package)
    try:
        _validate(settings, package, folder)
        _move_into_place(settings, package.manifest.name, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    row = session.get(InstalledModel, package.manifest.name) or InstalledModel(name=package.manifest.name)
    row.version, row.publisher, row.kid = package.manifest.version, package.publisher, package.kid
    row.package_sha256, row.installed_at, row.installed_by = package.sha256, datetime.now(UTC), installed_by
    row.revoked_at = row.revocation = None
    session.add(row)
    session.flush()
    sink(session, AuditEvent(MODEL_INSTALLED, subject=installed_by, action="install", decision="ok",
                             dataset=package.manifest.dataset,
                             details={"model": package.manifest.name, "version": package.manifest.version,
                                      "publisher": package.publisher, "kid": package.kid,
                                      "package_sha256": package.sha256,
                                      "inputs": dict(package.manifest.inputs)}))
    return row


def record_refusal(session: Session, sink: EventSink, text: str, error: FederationError, *, what: str,
                   subject: str = "operator:hub") -> None:
    """Audit a refused package: the claimed publisher, its SHA-256, the reason."""
    import hashlib

    from hub.federation import signed

    try:
        claimed = signed.read(text, packages.TYPE, what).issuer
    except FederationError:
        claimed = None
    sink(session, AuditEvent(MODEL_REFUSED, subject=subject, action="install", decision="refused",
                             reasons=[str(error)[:2000]],
                             details={"source": what[:300], "claimed_publisher": claimed,
                                      "package_sha256": hashlib.sha256(text.encode()).hexdigest()}))
