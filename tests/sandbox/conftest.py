"""A sandbox seeded once per session at scale 1000, shared by the sandbox tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.sandbox import Manifest, seed


@pytest.fixture(scope="session")
def seeded_sandbox(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    directory = tmp_path_factory.mktemp("sandbox")
    return directory, seed(directory, seed=42, scale=1000)
