"""The daily row budget (每日行数限额) as a hard limit across API processes and crashes.

``ledger`` charges each page in the metadata store before its rows leave; ``reconcile``
closes the charges against the audit log's delivery records (the source of truth);
``report`` puts the ledger and the audit log side by side (``hub quota show|verify``).
"""

from hub.quota.ledger import (
    CLOCK_SKEW_S,
    Hold,
    Ledger,
    LedgerUnavailable,
    QuotaExceeded,
    Reservation,
    quota_day,
)
from hub.quota.reconcile import Reconciled, Sweeper, reconcile
from hub.quota.report import GrantDay, charged, grant_days

__all__ = [
    "CLOCK_SKEW_S", "GrantDay", "Hold", "Ledger", "LedgerUnavailable", "QuotaExceeded", "Reconciled",
    "Reservation", "Sweeper", "charged", "grant_days", "quota_day", "reconcile",
]
