"""What a security check found, shared by the HTML and PDF writers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.audit.verify import VerifyReport


@dataclass
class CheckContent:
    """The results of one security check, ready to render."""

    at: datetime
    home: str
    chain: VerifyReport
    cases_passed: int
    case_failures: list[tuple[str, list[str]]]
    risk: dict[str, Any]
    open_alerts: list[dict[str, Any]]
    charts: dict[str, bytes] = field(default_factory=dict)  # title -> PNG

    @property
    def passed(self) -> bool:
        """The chain verifies and every policy case passes."""
        return self.chain.ok and not self.case_failures

    def verdict(self) -> str:
        return "PASSED" if self.passed else "FAILED"

    def summary_rows(self) -> list[tuple[str, str]]:
        """The headline table: check → outcome."""
        critical = sum(1 for a in self.open_alerts if a["severity"] == "critical")
        return [
            ("audit chain", self.chain.summary()),
            ("policy cases", f"{self.cases_passed} passed, {len(self.case_failures)} failed"),
            ("open alerts", f"{len(self.open_alerts)} ({critical} critical)"),
            ("datasets assessed", str(len(self.risk["datasets"]))),
            ("grants unused", str(len(self.risk["grants_unused"]))),
            ("grants without an end within a year", str(len(self.risk["grants_without_end"]))),
            ("partners with stale keys", str(len(self.risk["stale_partner_keys"]))),
            ("datasets reviewed below inferred level", str(len(self.risk["level_below_inferred"]))),
        ]
