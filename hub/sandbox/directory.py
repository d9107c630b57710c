"""The sandbox directory (沙箱目录): its layout, and the guard against overwriting.

A directory is a sandbox when its ``manifest.json`` names this generator.
Seeding refuses a non-empty directory that is not one, unless forced; before
writing, the previous sandbox's files (only those) are removed so no stale
month file survives a re-seed.
"""

from __future__ import annotations

import json
from pathlib import Path

from hub.errors import HubError

GENERATOR = "huitong-sandbox/1"
FILES = ("finance.sqlite", "state_assets.sqlite", "manifest.json", "expected_clues.json")
DIRS = ("audit", "statistics")


class SandboxError(HubError):
    """The sandbox directory cannot be used; names the directory."""

    title = "sandbox error"


def is_sandbox(directory: Path) -> bool:
    """Whether ``directory`` holds a sandbox this generator wrote."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and str(manifest.get("generator", "")).startswith("huitong-sandbox/")


def _owned(directory: Path) -> list[Path]:
    """The files a previous seed wrote (and nothing else, even under --force)."""
    paths = [directory / name for name in FILES]
    paths += list((directory / "audit").glob("findings_*")) + [directory / "statistics" / "indicators.jsonl"]
    return [p for p in paths if p.is_file()]


def _only_sandbox_entries(directory: Path) -> bool:
    """Whether every entry is one a sandbox writes (a seed that stopped half way)."""
    return all(p.name in FILES + DIRS for p in directory.iterdir())


def prepare(directory: Path, force: bool = False) -> None:
    """Make ``directory`` ready for a fresh sandbox, or raise ``SandboxError``."""
    if directory.exists() and not directory.is_dir():
        raise SandboxError(f"sandbox path `{directory}` exists and is not a directory", path=str(directory))
    if (
        directory.is_dir()
        and not _only_sandbox_entries(directory)
        and not is_sandbox(directory)
        and not force
    ):
        raise SandboxError(
            f"directory `{directory}` is not empty and is not a sandbox (no manifest.json from "
            f"{GENERATOR}); choose an empty directory or pass --force",
            path=str(directory),
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path in _owned(directory):
            path.unlink()
    except OSError as exc:
        raise SandboxError(
            f"cannot prepare sandbox directory `{directory}`: {exc.strerror}", path=str(directory)
        ) from None
