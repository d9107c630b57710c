"""The Rego policy sources: the ``.rego`` files under ``policies/`` and their revision.

A revision is the SHA-256 of every module's name and text, so the same policies
always have the same revision, on every replica and in the audit log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hub.errors import NotFound
from hub.packaged import policies_dir

#: The policy directory: ``policies/`` of the checkout, or as installed (``hub.packaged``).
DEFAULT_DIR = policies_dir()


@dataclass(frozen=True)
class PolicySet:
    """Rego modules by name (``hub/decision.rego``) and their revision."""

    modules: dict[str, str]
    revision: str


def revision_of(modules: dict[str, str]) -> str:
    """A short content hash of the modules."""
    digest = hashlib.sha256()
    for name in sorted(modules):
        digest.update(name.encode() + b"\0" + modules[name].encode() + b"\0")
    return digest.hexdigest()[:16]


def policy_set(modules: dict[str, str]) -> PolicySet:
    """A ``PolicySet`` from in-memory modules."""
    return PolicySet(modules=dict(modules), revision=revision_of(modules))


def load_policies(directory: Path | None = None) -> PolicySet:
    """Read every ``.rego`` file under ``directory`` (default ``policies/``)."""
    root = directory or DEFAULT_DIR
    files = sorted(p for p in root.rglob("*.rego") if "tests" not in p.relative_to(root).parts)
    if not files:
        raise NotFound(f"no .rego policies under `{root}`", path=str(root))
    return policy_set({p.relative_to(root).as_posix(): p.read_text(encoding="utf-8") for p in files})
