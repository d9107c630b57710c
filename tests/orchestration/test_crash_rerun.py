"""``kill -9`` of ``hub run`` in ingest, in transform and in publish, then a plain rerun, leaves
exactly the state of an uninterrupted run; and the redaction pool dies with ``hub run``.

One home is seeded like the session's uninterrupted run (``pipeline_output``: seed 7,
scale 400).  ``hub run`` is killed three times in a row at chosen points
(``tests.orchestration.killpoints``) — each run recovering what the previous kill
left — and then run plainly.  Between kills: no half load is visible (a raw table
holds all or none of its rows), no half-published version is visible (a version the
catalog names has its file, and none was committed by the killed publish), and no
redaction-pool worker outlives the killed process.  At the end every warehouse table
has the uninterrupted run's row count and every dataset its published version,
content and row count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.pipeline import run_pipeline
from hub.sandbox import seed
from hub.settings import load_settings
from hub.store import open_store
from hub.store.models import Dataset, DatasetVersion, QuarantinedRow
from tests.conftest import PipelineOutput
from tests.orchestration import killpoints
from tests.orchestration.helpers import warehouse

INTERNAL = ("_hub", "sqlmesh_hub", "information_schema", "pg_catalog")


def table_counts(home: Path, prefix: str = "") -> dict[str, int]:
    """Rows of every table and view the hub made in the warehouse (SQLMesh's own excluded)."""
    with warehouse(home) as con:  # the encrypted warehouse, through the hub's one door (open_warehouse)
        names = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE "
                            "table_catalog = current_database()").fetchall()
        wanted = [(s, t) for s, t in names
                  if s not in INTERNAL and not s.startswith("sqlmesh__") and s.startswith(prefix)]
        return {f"{s}.{t}": con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in wanted}


def published(home: Path) -> dict[str, Any]:
    store = open_store(load_settings(home=home).metadata_url)
    try:
        with store.session() as s:
            versions = {(v.dataset_id, v.version): v for v in s.scalars(select(DatasetVersion))}
            current = {d.id: d.current_version for d in s.scalars(select(Dataset)) if d.current_version}
            quarantined = sorted((q.position, q.reason_code) for q in s.scalars(select(QuarantinedRow)))
        for (dataset, version), v in versions.items():  # no version is visible without its file
            assert Path(v.path).is_file(), f"{dataset} {version} has no file"
        assert all((d, v) in versions for d, v in current.items())
        return {"current": {d: (v, versions[(d, v)].row_count, versions[(d, v)].content_sha256)
                            for d, v in current.items()},
                "versions": len(versions), "quarantined": quarantined}
    finally:
        store.dispose()


def _kill_at(home: Path, point: str, tmp_path: Path) -> list[int]:
    """Run ``hub run`` to ``point``, kill -9 it there; the pids of its children at that moment."""
    marker = tmp_path / f"{point}.marker"
    child = killpoints.start(home, point, marker)
    try:
        killpoints.wait_for_marker(child, marker)
        kids = killpoints.children(child.pid)
    finally:
        killpoints.kill_9(child)
    return kids


def test_kill_9_at_three_stages_then_rerun_equals_an_uninterrupted_run(
    pipeline_output: PipelineOutput, tmp_path: Path
) -> None:
    home = tmp_path / "hub"
    seed(home / "sandbox", seed=7, scale=400)
    reference = table_counts(pipeline_output.home)

    _kill_at(home, "ingest", tmp_path)  # three resources committed, the fourth mid-transaction
    after_ingest = table_counts(home)
    assert 3 <= len(after_ingest) < 10 and all(reference[t] == n for t, n in after_ingest.items()), after_ingest

    _kill_at(home, "transform", tmp_path)  # the ingest finished on this run; SQLMesh was half way
    raw = table_counts(home, prefix="raw_")
    assert raw == {t: n for t, n in reference.items() if t.startswith("raw_")}

    workers = _kill_at(home, "publish", tmp_path)
    assert workers, "the redaction pool had no worker when hub run was killed"
    assert killpoints.wait_gone(workers) == [], "redaction-pool workers outlived hub run (kill -9)"
    assert published(home)["versions"] == 0  # the killed publish committed nothing: no half-published version

    result = run_pipeline(load_settings(home=home), home / "sandbox")
    assert not result.failures
    assert table_counts(home) == reference
    assert published(home) == published(pipeline_output.home)
