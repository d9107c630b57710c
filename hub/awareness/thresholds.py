"""Thresholds of the detectors and the containment playbooks, read from the settings.

Every number a detector compares against is a ``HUB_AWARENESS_*`` setting
(``hub.settings``), documented in docs/awareness.md; this module turns them into
one frozen ``Thresholds`` the detectors share, and validates the two settings that
are not plain numbers: the usual working hours of a partner without history
(``7-22``: 07:00 to 21:59, UTC+8) and the playbooks (``{"kind:severity": [actions]}``,
``*`` matching any kind or severity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import Settings

SEVERITIES = ("info", "warning", "high", "critical")
ACTIONS = ("lockdown", "suspend_dataset", "rotate_key")
KINDS = (
    "volume_spike", "off_hours", "denial_burst", "credential_failures", "enumeration", "unusual_dataset",
    "new_client_ip", "audit_chain", "checkpoint_lag", "signing_key_age", "partner_key_age", "grant_expiring",
)


def rank(severity: str) -> int:
    """0 for info … 3 for critical (unknown severities rank lowest)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def parse_hours(value: str) -> frozenset[int]:
    """``"7-22"`` → hours 7..21 (the end is exclusive); ``"22-6"`` wraps past midnight."""
    try:
        start_text, end_text = value.split("-")
        start, end = int(start_text), int(end_text)
    except ValueError:
        raise ValueError(f"`{value}` is not START-END in whole hours, e.g. 7-22") from None
    if not (0 <= start <= 23 and 0 <= end <= 24) or start == end:
        raise ValueError(f"`{value}`: hours run 0-24 and the range must not be empty")
    if start < end:
        return frozenset(range(start, end))
    return frozenset([*range(start, 24), *range(0, end)])


def check_playbooks(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Keys ``kind:severity`` (each part a known name or ``*``), values known actions."""
    for key, actions in value.items():
        kind, sep, severity = key.partition(":")
        if not sep or (kind != "*" and kind not in KINDS) or (severity != "*" and severity not in SEVERITIES):
            raise ValueError(f"playbook `{key}` must be KIND:SEVERITY (known names or *), e.g. *:critical")
        for action in actions:
            if action not in ACTIONS:
                raise ValueError(f"playbook `{key}`: action `{action}` is not one of {', '.join(ACTIONS)}")
    return value


@dataclass(frozen=True)
class Thresholds:
    """What the detectors compare against (defaults as in ``hub.settings``)."""

    baseline_days: int = 14
    baseline_min_hours: int = 24
    volume_factor: float = 4.0
    volume_min_requests: int = 120
    volume_min_rows: int = 20_000
    new_partner_requests: int = 600
    new_partner_rows: int = 100_000
    work_hours: frozenset[int] = field(default_factory=lambda: parse_hours("7-22"))
    offhours_min_reads: int = 30
    bulk_rows: int = 1000
    denial_burst: int = 20
    denial_window_s: int = 300
    credential_failures: int = 10
    credential_window_s: int = 300
    enumeration_distinct: int = 40
    enumeration_window_s: int = 600
    novelty_days: int = 7
    critical_factor: float = 5.0
    checkpoint_lag_records: int = 5000
    checkpoint_lag_s: int = 900
    key_max_age_days: int = 180
    partner_key_max_age_days: int = 365
    grant_expiry_days: int = 14
    playbooks: dict[str, list[str]] = field(default_factory=lambda: {"*:critical": ["lockdown"]})

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        """The thresholds configured in ``settings``."""
        values = {name: getattr(settings, f"awareness_{name}") for name in cls.__dataclass_fields__
                  if name not in ("work_hours", "partner_key_max_age_days")}
        return cls(**values, work_hours=parse_hours(settings.awareness_work_hours),
                   partner_key_max_age_days=settings.partner_key_max_age_days)

    @property
    def longest_window_s(self) -> int:
        """How far back the sliding windows reach (one hour for volume)."""
        return max(3600, self.denial_window_s, self.credential_window_s, self.enumeration_window_s)

    def severity(self, value: float, threshold: float, base: str = "high") -> str | None:
        """``base`` at or above ``threshold``, critical at ``critical_factor`` times it, else None."""
        if value >= threshold * self.critical_factor:
            return "critical"
        return base if value >= threshold else None

    def actions_for(self, kind: str, severity: str) -> list[str]:
        """The playbook's actions for an alert of ``kind`` at ``severity`` (most specific key wins)."""
        for key in (f"{kind}:{severity}", f"{kind}:*", f"*:{severity}", "*:*"):
            if key in self.playbooks:
                return list(self.playbooks[key])
        return []
