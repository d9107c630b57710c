"""Shared set-up for workflow and decision-point tests: a small catalog, partners and officers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from hub.events import EventSink, discard
from hub.identity import register_partner
from hub.store.models import Dataset, DatasetColumn
from hub.workflow import ApplicationRequest
from tests.officer_desk import Desk

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 in UTC+8

COLUMNS = {
    "recipient_id_number": ("CN_RESIDENT_ID", 3),
    "recipient_name": ("PERSON", 3),
    "amount": (None, 2),
    "township_code": (None, 1),
}


OFFICERS: dict[str, tuple[str, str | None]] = {
    "own-fin": ("owner", "finance"), "sec-1": ("security", None), "own-audit": ("owner", "audit")}


def seed(session: Session, sink: EventSink = discard, desk: Desk | None = None) -> Desk:
    """A partner, three officers (holding their keys: the returned ``Desk``, or ``desk``'s keys
    when given) and the conditional dataset finance.subsidy_payment."""
    desk = desk or Desk()
    desk.enrol_all(session, sink, OFFICERS, now=NOW)
    # registered as the operator registers a partner (audited: `hub audit verify` checks the store against it)
    register_partner(session, sink, "hz-xihu-jw", clearance=3, jurisdiction="330106",
                     purposes=["case-verification"])
    session.add_all([
        Dataset(id="finance.subsidy_payment", layer="source", provider="finance", level_inferred=3,
                sharing_type_inferred="conditional", exchangeable=True, region_column="township_code"),
        Dataset(id="raw_finance.payroll", layer="raw", provider="finance", exchangeable=False),
    ])
    session.flush()
    for position, (name, (pii, level)) in enumerate(COLUMNS.items()):
        session.add(DatasetColumn(dataset_id="finance.subsidy_payment", name=name, position=position,
                                  data_type="VARCHAR", pii_class=pii, level=level))
    return desk


def request(**overrides: Any) -> ApplicationRequest:
    """An application for finance.subsidy_payment valid for a year around NOW."""
    fields: dict[str, Any] = dict(
        partner="hz-xihu-jw", dataset="finance.subsidy_payment", purpose="case-verification",
        columns=["recipient_id_number", "recipient_name", "amount", "township_code"],
        clear_columns=("recipient_name",), justification="case 2026-17",
        valid_from=NOW - timedelta(days=30), valid_until=NOW + timedelta(days=335), max_rows_per_day=1000)
    fields.update(overrides)
    return ApplicationRequest(**fields)


def resource() -> dict[str, Any]:
    """The decision-input resource for finance.subsidy_payment."""
    return {"dataset": "finance.subsidy_payment", "version": "v1", "level": 3, "sharing_type": "conditional",
            "owner": "finance", "exchangeable": True, "region_column": "township_code",
            "columns": {name: {"pii": pii, "level": level} for name, (pii, level) in COLUMNS.items()}}


SUBJECT = {"id": "partner:hz-xihu-jw", "kind": "partner"}
READ = {"purpose": "case-verification", "columns": [], "rows_requested": 10}
