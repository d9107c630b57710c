"""Awareness in Dagster: the weekly security check and the detectors, as jobs with schedules.

``security_check`` runs ``hub security check`` (verify the chain, run the policy cases,
risk report, open alerts, dated HTML + PDF report recorded in the audit log);
``weekly_security_check`` runs it every Monday at 03:00 (UTC+8).  ``awareness_scan``
runs the detectors once over the records not yet observed — for deployments that switch
the API's detector thread off (``HUB_AWARENESS_WATCH=false``); ``awareness_every_minute``
schedules it.  Both schedules are off by default (STYLE.md): a deployment turns them on.
"""

import dagster as dg

from hub.orchestration.resources import HubResource

SECURITY_JOB = "security_check"
SCAN_JOB = "awareness_scan"


@dg.op
def security_check_op(context: dg.OpExecutionContext, hub: HubResource) -> None:
    """Run the periodic security check and write its report."""
    from hub.awareness.report import run_security_check

    result = run_security_check(hub.settings)
    context.log.info(f"security check {'passed' if result.passed else 'FAILED'}: {result.html}, {result.pdf} "
                     f"(audit seq {result.seq})")
    if not result.passed:
        raise dg.Failure(description="the security check failed: see its report", metadata=result.summary())


@dg.op
def awareness_scan_op(context: dg.OpExecutionContext, hub: HubResource) -> None:
    """Run the detectors over the audit records not yet observed."""
    from hub.audit.log import AuditLog
    from hub.awareness import build_scanner
    from hub.keys import KeyStore
    from hub.store.db import open_store

    settings = hub.settings
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit:
            results = build_scanner(settings, store, audit.sink, KeyStore(settings.keys_dir)).drain()
    finally:
        store.dispose()
    raised = sum(len(r.raised) for r in results)
    context.log.info(f"observed {sum(r.records for r in results)} records; {raised} alerts raised or escalated")


@dg.job(name=SECURITY_JOB)
def security_check_job() -> None:
    security_check_op()


@dg.job(name=SCAN_JOB)
def awareness_scan_job() -> None:
    awareness_scan_op()


def security_definitions() -> tuple[list[dg.JobDefinition], list[dg.ScheduleDefinition]]:
    """The jobs and their (stopped) schedules."""
    weekly = dg.ScheduleDefinition(name="weekly_security_check", job=security_check_job, cron_schedule="0 3 * * 1",
                                   execution_timezone="Asia/Shanghai",
                                   default_status=dg.DefaultScheduleStatus.STOPPED)
    minutely = dg.ScheduleDefinition(name="awareness_every_minute", job=awareness_scan_job, cron_schedule="* * * * *",
                                     default_status=dg.DefaultScheduleStatus.STOPPED)
    return [security_check_job, awareness_scan_job], [weekly, minutely]
