"""Supply (供应): dependencies locked with hashes, installed from the lock, and a CycloneDX SBOM.

``uv.lock`` pins every package by version with the SHA-256 of each file (uv checks them
on install); ``make`` installs from it (``uv sync --locked``) and so does the image.  The
environment under test must be exactly the lock's versions, and ``make sbom``'s command
produces a CycloneDX SBOM naming every installed distribution with its version.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock() -> dict[str, dict]:
    data = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    return {_norm(p["name"]): p for p in data["package"]}


def _requirement_names(items: list[str]) -> set[str]:
    return {_norm(re.split(r"[\s\[<>=!~;]", item, maxsplit=1)[0]) for item in items}


def test_every_locked_file_has_a_hash_and_every_dependency_is_locked() -> None:
    lock = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _requirement_names(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        wanted |= _requirement_names(extra)
    assert wanted <= set(lock), sorted(wanted - set(lock))
    for name, package in lock.items():
        if package["source"].get("registry"):
            files = [package.get("sdist")] + package.get("wheels", [])
            files = [f for f in files if f]
            assert files and all(f["hash"].startswith("sha256:") for f in files), name


def test_the_environment_is_exactly_the_lock() -> None:
    lock = _lock()
    data = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    versions: dict[str, set[str]] = {}  # a universal lock may hold one version per Python or platform
    for package in data["package"]:
        if package["source"].get("registry"):
            versions.setdefault(_norm(package["name"]), set()).add(package["version"])
    installed = {_norm(d.metadata["Name"]): d.version for d in metadata.distributions()}
    differs = {name: (installed[name], sorted(locked)) for name, locked in versions.items()
               if name in installed and installed[name] not in locked}
    assert not differs, differs
    assert {"duckdb", "duckdb-extension-httpfs", "tongsuopy", "cryptography", "python-pkcs11"} <= set(installed)
    assert installed["duckdb"] == lock["duckdb-extension-httpfs"]["version"]  # the extension matches DuckDB


def test_make_and_the_image_install_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "uv sync" in makefile and "--locked" in makefile and "uv.lock" in makefile
    assert "uv sync --locked" in (ROOT / "deploy" / "Dockerfile").read_text()


def test_make_sbom_writes_a_cyclonedx_sbom_of_the_environment(tmp_path: Path) -> None:
    recipe = re.search(r"^sbom:.*\n\t(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert recipe and "cyclonedx-py environment" in recipe.group(1)
    out = tmp_path / "sbom.cdx.json"
    tool = Path(sys.executable).with_name("cyclonedx-py")
    subprocess.run([str(tool), "environment", sys.executable, "--output-format", "JSON", "--output-file", str(out)],
                   check=True, capture_output=True, timeout=300)
    bom = json.loads(out.read_text(encoding="utf-8"))
    assert bom["bomFormat"] == "CycloneDX" and bom["specVersion"].startswith("1.")
    components = {_norm(c["name"]): c for c in bom["components"]}
    for name in ("duckdb", "duckdb-extension-httpfs", "tongsuopy", "cryptography", "pyarrow", "fastapi"):
        assert components[name]["version"] == metadata.version(name), name
        assert components[name]["purl"].startswith(f"pkg:pypi/{name}@"), name
    installed = {_norm(d.metadata["Name"]) for d in metadata.distributions()}
    assert installed <= set(components) | {"huitong"}, sorted(installed - set(components))[:10]
