"""Issue 4: the clue keys are exact on a second sandbox with another seed at scale 20,000."""

from __future__ import annotations

from hub.pipeline import run_pipeline
from hub.sandbox import seed
from hub.settings import load_settings
from tests.orchestration.helpers import clue_keys, expected_keys


def test_clues_exact_at_scale_20000(tmp_path):
    home = tmp_path / "hub"
    seed(home / "sandbox", seed=2024, scale=20_000)
    run_pipeline(load_settings(home=home), home / "sandbox", only=("ingest", "transform"))
    got, expected = clue_keys(home), expected_keys(home / "sandbox")
    for model in expected:
        missed, false = expected[model] - got[model], got[model] - expected[model]
        assert not missed and not false, f"{model}: missed {sorted(missed)[:5]}, false {sorted(false)[:5]}"
