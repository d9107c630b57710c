"""``hub run``: materialize everything once, in-process, stage by stage.

Stages: ingest (every raw asset) → transform (SQLMesh) → publish.  Each stage is
one in-process Dagster materialization of the same definitions ``dagster dev``
shows; the wall time of each is measured and returned.  With a sandbox, the
sandbox statistics API is served on a free loopback port for the run's duration.

One source never stops the others.  A damaged file or row is quarantined by its
connector and the asset succeeds; an ingest asset that fails (a source down after
its retries, a table gone, a schema that drifted) leaves its raw table at its last
committed state, and the transforms still run — over the last good raw tables, so
the other sources are transformed and published (SQLMesh restates only models
whose raw tables changed).  A raw table that has never loaded is created empty so
the transforms can run at all.  A failed transform or publish stage stops the run.
``PipelineResult.status`` is the exit status of ``hub run`` (``EXIT_*``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg

from hub.errors import HubError
from hub.kms.warehouse import warehouse_key
from hub.orchestration import progress
from hub.orchestration.definitions import build_definitions
from hub.orchestration.resources import HubResource
from hub.settings import Settings
from hub.warehouse import ensure_raw_tables

STAGES = ("ingest", "transform", "publish")
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
EXIT_OK = 0  # completed; nothing was quarantined
EXIT_FAILED = 1  # a transform or publish stage failed, or the run could not start
EXIT_QUARANTINED = 3  # completed; some input (rows or whole files) was quarantined
EXIT_DEGRADED = 4  # completed; a source failed to ingest, or a connector's model package was refused


class PipelineError(HubError):
    """A pipeline stage failed; the message names the assets and why."""

    title = "pipeline failed"


@dataclass
class StageResult:
    name: str
    seconds: float
    assets: list[str] = field(default_factory=list)
    run_id: str = ""
    failures: list[str] = field(default_factory=list)  # "asset: why" of assets that failed
    loads: list[dict[str, Any]] = field(default_factory=list)  # ingest: LoadResult.summary() each


@dataclass
class PipelineResult:
    stages: list[StageResult]
    checks_failed: list[str]
    refused: list[str] = field(default_factory=list)  # connector model packages that did not validate

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.stages)

    @property
    def failures(self) -> list[str]:
        """Assets that failed (ingest only: later stages raise)."""
        return [f for s in self.stages for f in s.failures]

    @property
    def loads(self) -> list[dict[str, Any]]:
        return [load for s in self.stages for load in s.loads]

    @property
    def quarantined(self) -> int:
        """Rows quarantined by this run (the rows of files quarantined whole included)."""
        return sum(load["quarantined"] for load in self.loads)

    @property
    def files_quarantined(self) -> int:
        return sum(load["files_quarantined"] for load in self.loads)

    @property
    def status(self) -> int:
        """The exit status of ``hub run``: degraded beats quarantined beats success."""
        if self.failures or self.refused:
            return EXIT_DEGRADED
        return EXIT_QUARANTINED if self.quarantined or self.files_quarantined else EXIT_OK


def _selection(stage: str, sources: tuple[str, ...] = ()) -> dg.AssetSelection:
    if stage == "ingest":
        if sources:  # only these sources' ingest assets (each source is its own asset group)
            return dg.AssetSelection.groups(*sources)
        later = dg.AssetSelection.groups("staging", "resources", "clues", "published", "publish")
        return dg.AssetSelection.all() - later
    if stage == "transform":
        return dg.AssetSelection.groups("staging", "resources", "clues", "published")
    return dg.AssetSelection.groups("publish")


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    messages = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data:
            err = event.step_failure_data.user_failure_data
            desc = (err.description if err else None) or (event.step_failure_data.error.message
                                                          if event.step_failure_data.error else "")
            messages.append(f"{event.step_key}: {desc.strip()}")
    return messages


def _failed_checks(result: dg.ExecuteInProcessResult) -> list[str]:
    failed = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            failed.append(f"{ev.asset_key.to_user_string()}:{ev.check_name}")
    return failed


def _loads(events: Sequence[dg.DagsterEvent]) -> list[dict[str, Any]]:
    """Each ingest asset's counts, from its materialization metadata."""
    loads = []
    for event in events:
        meta = {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
        if "rows_read" not in meta:
            continue
        loads.append({"resource": meta["table"], "read": meta["rows_read"], "loaded": meta["rows_loaded"],
                      "quarantined": meta["quarantined"], "files_quarantined": meta["files_quarantined"],
                      "files": meta.get("deliveries") or []})
    return sorted(loads, key=lambda load: load["resource"])


def _run_stage(stage: str, assets: Sequence[object], hub: HubResource, checks: list[str],
               sources: tuple[str, ...] = ()) -> StageResult:
    """Materialize one stage in-process; failed checks are appended to ``checks``.

    A failed ingest asset is reported in the result (the run goes on); a failure in any
    other stage raises ``PipelineError``."""
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(assets, selection=_selection(stage, sources), resources={"hub": hub},  # type: ignore[arg-type]
                                instance=instance, raise_on_error=False, run_config=QUIET)
        failures = [] if result.success else _failures(result)
        if (failures and stage != "ingest") or (not result.success and not failures):
            raise PipelineError(f"stage `{stage}` failed: " + ("; ".join(failures) or "see the Dagster run"))
        checks += _failed_checks(result)
        events = result.get_asset_materialization_events()
        keys = sorted(ev.asset_key.to_user_string() for ev in events if ev.asset_key is not None)
        loads = _loads(events) if stage == "ingest" else []
    return StageResult(stage, time.perf_counter() - started, keys, result.run_id, failures, loads)


@contextmanager
def _statistics_api(sandbox: Path | None) -> Iterator[str | None]:
    if sandbox is None:
        yield None
        return
    from hub.sandbox.statistics_api import serve_in_background

    with serve_in_background(sandbox) as url:
        yield url


def resolve_sandbox(settings: Settings, sandbox: Path | None) -> Path | None:
    """The sandbox to ingest: the one given, else HUB_HOME/sandbox when it exists.

    The default sources read the sandbox unless hub.yaml points them elsewhere
    (``connectors.sources``); hub.yaml adds sources, it does not switch the sandbox off.
    """
    if sandbox is not None:
        if not (sandbox / "manifest.json").exists():
            raise PipelineError(f"`{sandbox}` is not a sandbox (no manifest.json); "
                                f"create one with `hub sandbox seed {sandbox}`")
        return sandbox.resolve()
    if (settings.sandbox_dir / "manifest.json").exists():
        return settings.sandbox_dir.resolve()
    if (settings.home / "hub.yaml").exists():
        return None
    raise PipelineError(f"no sources: neither {settings.home / 'hub.yaml'} nor a sandbox in "
                        f"{settings.sandbox_dir} (try `hub demo` or `hub sandbox seed`)")


def run_pipeline(settings: Settings, sandbox: Path | None = None,
                 reporter: progress.Reporter | None = None,
                 only: tuple[str, ...] = STAGES, sources: tuple[str, ...] = ()) -> PipelineResult:
    """Run ingest → transform → publish once (or ``only`` those stages; ``sources``: ingest only those
    sources, e.g. a ``huitong`` pull of another hub); raise ``PipelineError``."""
    settings.home.mkdir(parents=True, exist_ok=True)
    sandbox = resolve_sandbox(settings, sandbox)
    progress.install(reporter)
    stages: list[StageResult] = []
    checks: list[str] = []
    try:
        with _statistics_api(sandbox) if sandbox else nullcontext(None) as url:
            hub = HubResource(home=str(settings.home.resolve()), sandbox=str(sandbox) if sandbox else None,
                              statistics_url=url)
            defs = build_definitions(settings, hub)
            refused = [str(r) for r in hub.project()[1]]  # validated while building, cached
            assets = list(defs.assets or [])
            for stage in only:
                stages.append(_run_stage(stage, assets, hub, checks, sources))
                if stage == "ingest" and stages[-1].failures and "transform" in only:
                    ensure_raw_tables(hub.warehouse_path, hub.sources(), warehouse_key(settings))
    finally:
        progress.install(None)
    return PipelineResult(stages, checks, refused)
