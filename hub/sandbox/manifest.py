"""The sandbox manifest (清单): what ``manifest.json`` says, plus what a seed produced."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Manifest:
    """``manifest.json`` (as_of, seed, scale, generator) and a summary of the run."""

    as_of: dt.date
    seed: int
    scale: int
    generator: str
    tables: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    clues: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        """The four keys of ``manifest.json``."""
        return {
            "as_of": self.as_of.isoformat(),
            "seed": self.seed,
            "scale": self.scale,
            "generator": self.generator,
        }

    def write(self, directory: Path) -> None:
        """Write ``manifest.json`` into ``directory``."""
        (directory / "manifest.json").write_text(
            json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8"
        )

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        """Read a sandbox's ``manifest.json``."""
        data = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        return cls(
            dt.date.fromisoformat(data["as_of"]),
            int(data["seed"]),
            int(data["scale"]),
            str(data["generator"]),
        )
