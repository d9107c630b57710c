"""Gathering a security check's results and writing its two report files."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.audit.verify import verify_chain
from hub.awareness import alerts, risk
from hub.awareness.report import charts, html, pdf, series
from hub.awareness.report.content import CheckContent
from hub.keys import KeyStore
from hub.store.db import Store

CHART_DAYS = 30


def _policy_cases() -> tuple[int, list[tuple[str, list[str]]]]:
    """Every policy case on the embedded engine: (passed, [(name, problems)] of the failed)."""
    from hub.policy import PolicyPoint, RegopyEngine, StaticData, load_policies
    from hub.policy.cases import load_cases, run_case

    point = PolicyPoint(RegopyEngine(), load_policies(), StaticData({}), recheck_seconds=0)
    outcomes = [run_case(point, case) for case in load_cases()]
    failed = [(o.case.name, o.problems) for o in outcomes if not o.passed]
    return len(outcomes) - len(failed), failed


def gather(settings: Any, store: Store, now: datetime) -> CheckContent:
    """Verify, test, assess and chart (nothing is written)."""
    chain = verify_chain(store, KeyStore(settings.keys_dir))
    passed, failed = _policy_cases()
    assessed = risk.report(store, now=now, window_days=settings.risk_window_days,
                           key_max_age_days=settings.partner_key_max_age_days)
    with store.session() as session:
        live = [alerts.as_dict(a) for a in alerts.list_alerts(session, "open", limit=1000)]
        live += [alerts.as_dict(a) for a in alerts.list_alerts(session, "acknowledged", limit=1000)]
    days = series.day_labels(now, CHART_DAYS)
    drawn = {
        "Rows delivered per partner and day": charts.rows_chart(days, series.rows_per_partner(store, now, CHART_DAYS)),
        "Denied data requests per day": charts.denials_chart(days, series.denials_per_day(store, now, CHART_DAYS)),
        "Alerts raised in the period, by kind": charts.alerts_chart(series.alerts_by_kind(store, now, CHART_DAYS)),
    }
    return CheckContent(now, str(settings.home), chain, passed, failed, assessed, live, drawn)


def _write(path: Path, body: bytes) -> None:
    """``body`` in ``path``, appearing whole (temporary name, then renamed)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(body)
    os.replace(tmp, path)


def write_reports(content: CheckContent, folder: Path) -> tuple[Path, Path]:
    """``security-check-<UTC time>.html`` and ``.pdf`` under ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stem = f"security-check-{content.at.strftime('%Y-%m-%dT%H%M%SZ')}"
    html_path, pdf_path = folder / f"{stem}.html", folder / f"{stem}.pdf"
    _write(html_path, html.render(content))
    _write(pdf_path, pdf.render(content))
    return html_path, pdf_path
