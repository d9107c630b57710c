"""Model packages as signed documents: ``hub model publish`` makes one, ``read`` verifies one.

The package file is a signed federation document (``signed``, type
``hub-model+jws``) whose payload is::

    {"format": "huitong-model-package/1", "publisher": <hub>, "published_at": <ISO time>,
     "name": <model>, "version": <MAJOR.MINOR.PATCH>,
     "files": {"model.yaml": …, "models/<name>.sql": …, "tests/test_<name>.yaml": …}}

Publishing checks the package first as an installing hub will (``local.check``: the
static checks; ``contract``: the inputs are in this hub's own catalog; the SQLMesh
validation: the models load with the hub's project and every unit test passes), then
signs it with this hub's identity key (``identity``).  Reading a package checks, in
order: that it is a signed document at all, that its publisher is trusted here, that
the key is one of the publisher's and the signature verifies over the exact bytes —
only then is the payload read, and its name, version and publisher must agree with the
manifest and the header.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.federation import contract, identity, local, publishers, signed
from hub.federation import manifest as manifests
from hub.federation.errors import FederationError, ModelConflict, PackageRefused
from hub.settings import Settings

TYPE = "hub-model+jws"
FORMAT = "huitong-model-package/1"
SUFFIX = ".hubmodel"


@dataclass(frozen=True)
class Package:
    """A verified package: who signed it with which key, its manifest and files."""

    publisher: str
    kid: str
    manifest: manifests.Manifest
    files: dict[str, str]
    published_at: str
    text: str  # the signed document as received

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def file_name(manifest: manifests.Manifest) -> str:
    return f"{manifest.name}-{manifest.version}{SUFFIX}"


def build(settings: Settings, session: Session, name: str) -> tuple[manifests.Manifest, str]:
    """The signed package of the model authored here as ``$HUB_HOME/models/<name>/`` (checked first)."""
    from hub import model_packages

    model = next((m for m in local.discover(settings, session) if m.name == name), None)
    if model is None:
        raise FederationError(f"no model `{name}` here: author it in {local.models_dir(settings) / name}/ "
                              "(model.yaml, models/, tests/; docs/federation.md)")
    if model.installed is not None:
        raise ModelConflict(f"model `{name}` was installed from `{model.installed.publisher}`: only its publisher "
                            "signs it")
    me = identity.load(settings)
    manifest = local.check(model)
    contract.check(session, manifest)
    local.write_draft(model.path, manifest)
    problem = model_packages.validate(base_project(settings), local.package_of(model))
    if problem is not None:
        raise PackageRefused(f"model `{name}` {manifest.version} is not published: {problem}")
    document = {"format": FORMAT, "publisher": me.hub, "published_at": datetime.now(UTC).isoformat(),
                "name": manifest.name, "version": manifest.version, "files": local.files_of(model.path)}
    return manifest, signed.sign(me.key, me.hub, TYPE, document)


def base_project(settings: Settings) -> Any:
    """The SQLMesh project of this hub's configured sources, without packages (what a package joins)."""
    from connectors.profiles import load_profiles
    from hub.project import PLACEHOLDER_URL, Project

    return Project.from_sources(load_profiles(settings, statistics_url=PLACEHOLDER_URL))


def _payload(document: dict[str, Any], publisher: str) -> tuple[manifests.Manifest, dict[str, str]]:
    files = document.get("files")
    if document.get("format") != FORMAT or not isinstance(files, dict) or \
            not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise PackageRefused(f"the package is not in format {FORMAT}")
    if document.get("publisher") != publisher:
        raise PackageRefused(f"the package's payload names publisher `{document.get('publisher')}`, its "
                             f"signature `{publisher}`")
    manifest = manifests.parse(files.get(manifests.MANIFEST, ""), "the package")
    if (document.get("name"), document.get("version")) != (manifest.name, manifest.version):
        raise PackageRefused("the package's name and version differ from its manifest's")
    return manifest, files


def read(session: Session, text: str, what: str = "the package") -> Package:
    """A package verified against this hub's trusted publishers (see the module docstring)."""
    envelope = signed.read(text, TYPE, what)
    publisher = publishers.active(session, envelope.issuer)
    signed.verify(envelope, publisher.keys, what)
    document = envelope.document()
    manifest, files = _payload(document, envelope.issuer)
    return Package(envelope.issuer, envelope.kid, manifest, files, str(document.get("published_at", "")),
                   envelope.text)
