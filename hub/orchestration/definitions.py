"""One ``Definitions`` assembled from the per-domain modules (ingest, transform, publish).

Schedules and the audit drop-folder sensor exist but are off by default; a
deployment turns them on in the Dagster UI.  ``build_definitions`` reads only
configuration (no source is contacted), so loading the definitions is cheap.
"""


import hashlib
from pathlib import Path

import dagster as dg
from dagster import SensorEvaluationContext

from hub.orchestration.ingest import ingest_asset
from hub.orchestration.publish import build_publish_asset
from hub.orchestration.resources import HubResource
from hub.orchestration.security import security_definitions
from hub.orchestration.transform import build_transform_assets
from hub.settings import Settings, get_settings

ALL_JOB = "hub_all"
AUDIT_JOB = "audit_ingest"
# Building the sources needs a statistics URL even though nothing is contacted.
PLACEHOLDER_URL = "http://127.0.0.1:9"


def _ingest_assets(hub: HubResource) -> list[dg.AssetsDefinition]:
    probe = hub.model_copy(update={"statistics_url": hub.statistics_url or PLACEHOLDER_URL})
    return [ingest_asset(source, res.name) for source in probe.sources() for res in source.resources]


def _audit_sensor(hub: HubResource) -> dg.SensorDefinition:
    @dg.sensor(job_name=AUDIT_JOB, default_status=dg.DefaultSensorStatus.STOPPED, minimum_interval_seconds=60)
    def audit_drop_folder(context: SensorEvaluationContext) -> dg.SensorResult:
        """Start an audit ingest when the set of files in the drop folder changes."""
        folder = (hub.sandbox_dir or hub.settings.sandbox_dir) / "audit"
        files = sorted(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
                       for p in Path(folder).glob("findings_*") if p.is_file())
        state = hashlib.sha256("\n".join(files).encode()).hexdigest()
        if state == context.cursor:
            return dg.SensorResult(skip_reason="no new audit files")
        return dg.SensorResult(run_requests=[dg.RunRequest(run_key=state)], cursor=state)

    return audit_drop_folder


def build_definitions(settings: Settings | None = None, hub: HubResource | None = None) -> dg.Definitions:
    """The hub's Dagster definitions for ``settings`` (or a given resource configuration)."""
    settings = settings or get_settings()
    hub = hub or HubResource(home=str(settings.home))
    ingest = _ingest_assets(hub)
    project, _refused = hub.model_copy(update={"statistics_url": hub.statistics_url or PLACEHOLDER_URL}).project()
    transforms = build_transform_assets(project)
    published = build_publish_asset([spec.key for spec in transforms.specs])
    everything = dg.define_asset_job(ALL_JOB, selection=dg.AssetSelection.all())
    audit_job = dg.define_asset_job(AUDIT_JOB, selection=dg.AssetSelection.groups("audit").downstream())
    daily = dg.ScheduleDefinition(name="daily_refresh", job=everything, cron_schedule="0 2 * * *",
                                  execution_timezone="Asia/Shanghai",
                                  default_status=dg.DefaultScheduleStatus.STOPPED)
    security_jobs, security_schedules = security_definitions()  # weekly security check, detectors (off)
    return dg.Definitions(assets=[*ingest, transforms, published], jobs=[everything, audit_job, *security_jobs],
                          schedules=[daily, *security_schedules], sensors=[_audit_sensor(hub)],
                          resources={"hub": hub})
