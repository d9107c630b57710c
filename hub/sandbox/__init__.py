"""The sandbox (沙箱): realistic source systems generated for the demo, tests and benchmarks.

``seed(directory, seed, scale)`` writes the layout of ``shared/sources/README.md``
(finance and state-assets SQLite files, monthly audit files, the statistics
API's items) plus ``manifest.json`` and ``expected_clues.json``: the clues the
eight supervision models must find, evaluated over the valid generated data.
"""

from __future__ import annotations

from hub.sandbox.context import DEFAULT_AS_OF, Progress
from hub.sandbox.directory import GENERATOR, SandboxError, is_sandbox
from hub.sandbox.generate import MODELS, seed
from hub.sandbox.manifest import Manifest

__all__ = [
    "DEFAULT_AS_OF",
    "GENERATOR",
    "MODELS",
    "Manifest",
    "Progress",
    "SandboxError",
    "is_sandbox",
    "seed",
]
