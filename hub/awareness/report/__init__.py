"""The periodic security check (定期安全检查): ``hub security check`` and the weekly Dagster schedule.

It verifies the whole audit chain and its signed checkpoints (and every officer
signature), runs every policy case on the embedded engine, recomputes the risk report,
lists the open alerts, and writes a dated report — HTML and PDF, with charts of rows
delivered per partner and day, denials per day and alerts by kind — under
``$HUB_HOME/reports/``.  The report's two files are then recorded in the audit log
(event ``security.check``) with their SHA-256, so a report shown later can be checked
against the log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.awareness.report.run import gather, write_reports

__all__ = ["CheckResult", "gather", "run_security_check", "write_reports"]


@dataclass
class CheckResult:
    """What ``hub security check`` did: the verdict, the files and the audit record."""

    passed: bool
    html: Path
    pdf: Path
    digests: dict[str, str]
    seq: int
    headline: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"passed": self.passed, "html": str(self.html), "pdf": str(self.pdf), "sha256": self.digests,
                "audit_seq": self.seq, "checks": dict(self.headline)}

    def lines(self) -> list[str]:
        verdict = "[green]PASSED[/green]" if self.passed else "[red]FAILED[/red]"
        return [f"security check {verdict}", *(f"  {k:40} {v}" for k, v in self.headline),
                f"  report  {self.html}  sha256 {self.digests['html']}",
                f"          {self.pdf}  sha256 {self.digests['pdf']}",
                f"  recorded in the audit log at seq {self.seq}"]


def run_security_check(settings: Any, *, now: datetime | None = None) -> CheckResult:
    """Run the check on ``settings``' hub, write the report, audit its digests."""
    from hub.audit.log import AuditLog
    from hub.store.db import open_store

    now = now or datetime.now(UTC)
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit:
            content = gather(settings, store, now)
            html, pdf = write_reports(content, Path(settings.reports_dir))
            digests = {"html": _sha256(html), "pdf": _sha256(pdf)}
            seq = record(audit, content, html, pdf, digests)
    finally:
        store.dispose()
    return CheckResult(content.passed, html, pdf, digests, seq, content.summary_rows())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def record(audit: Any, content: Any, html: Path, pdf: Path, digests: dict[str, str]) -> int:
    """Append the ``security.check`` event naming both files and their SHA-256; return its seq."""
    from hub.events import SECURITY_CHECK, AuditEvent

    event = AuditEvent(SECURITY_CHECK, subject="system:security-check", action="security_check",
                       decision="ok" if content.passed else "error", reasons=[content.verdict()],
                       details={"html": {"file": html.name, "sha256": digests["html"]},
                                "pdf": {"file": pdf.name, "sha256": digests["pdf"]},
                                "chain_ok": content.chain.ok, "chain_records": content.chain.records,
                                "policy_cases": {"passed": content.cases_passed,
                                                 "failed": [n for n, _ in content.case_failures]},
                                "open_alerts": len(content.open_alerts)})
    return int(audit.append(event).seq)
