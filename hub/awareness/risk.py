"""Risk assessment (风险评估): where exposure concentrates, and what in the set-up is stale.

Per dataset and per partner an exposure score, with its parts shown so an officer can
see why it is high:

    dataset score = level x (1 + clear PII columns granted) x (1 + log10(1 + rows delivered)) x partners
    partner score = highest level granted x (1 + clear PII columns granted) x (1 + log10(1 + rows delivered))
                    x datasets granted

(rows delivered in the last ``risk_window_days``, from the audit log; grants in force).
And the lists: grants unused for the window, grants without an end within a year,
partners whose newest key is older than the rotation policy, datasets whose reviewed
level is below the inferred one (a loosening the catalog should never hold).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.events import DATA_DELIVERY
from hub.store.db import Store
from hub.store.models import AuditRecord, ClientKey, Dataset, DatasetColumn, Grant


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _delivered(session: Session, since: datetime) -> list[tuple[str, str, str | None, int]]:
    """(dataset, subject, grant, rows) delivered since ``since``."""
    rows = session.execute(select(AuditRecord.dataset, AuditRecord.subject, AuditRecord.grant,
                                  func.sum(AuditRecord.rows))
                           .where(AuditRecord.event == DATA_DELIVERY, AuditRecord.ts >= _ts(since))
                           .group_by(AuditRecord.dataset, AuditRecord.subject, AuditRecord.grant))
    return [(str(d), str(s), g, int(n or 0)) for d, s, g, n in rows if d and s]


def _pii_columns(session: Session) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for dataset, name in session.execute(select(DatasetColumn.dataset_id, DatasetColumn.name)
                                         .where(DatasetColumn.pii_class.is_not(None))):
        found.setdefault(str(dataset), set()).add(str(name))
    return found


def _score(level: int, clear: int, rows: int, breadth: int) -> float:
    return round(level * (1 + clear) * (1 + math.log10(1 + rows)) * max(1, breadth), 1)


def _level(dataset: Dataset | None) -> int:
    if dataset is None:
        return 0
    return int(dataset.level_reviewed or dataset.level_inferred or 0)


def report(store: Store, *, now: datetime | None = None, window_days: int = 30,
           key_max_age_days: int = 365) -> dict[str, Any]:
    """The risk report as of ``now`` (see the module docstring)."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=window_days)
    with store.session() as session:
        grants = list(session.scalars(select(Grant).where(Grant.revoked_at.is_(None))))
        delivered = _delivered(session, since)
        pii = _pii_columns(session)
        datasets = {d.id: d for d in session.scalars(select(Dataset))}
        keys = session.execute(select(ClientKey.client_id, func.max(ClientKey.created_at))
                               .where(ClientKey.client_id.like("partner:%"), ClientKey.revoked_at.is_(None))
                               .group_by(ClientKey.client_id)).all()
        loosened = [d for d in datasets.values() if d.level_reviewed is not None
                    and d.level_reviewed < d.level_inferred]
        return {
            "as_of": now.isoformat(), "window_days": window_days,
            "datasets": _by_dataset(grants, delivered, pii, datasets),
            "partners": _by_partner(grants, delivered, pii, datasets),
            "grants_unused": _unused(grants, delivered, since),
            "grants_without_end": [_grant_ref(g) for g in grants
                                   if g.valid_until > now + timedelta(days=365)],
            "stale_partner_keys": [{"partner": str(cid).removeprefix("partner:"), "newest_key": newest.isoformat(),
                                    "age_days": (now - newest).days}
                                   for cid, newest in keys
                                   if newest is not None and newest < now - timedelta(days=key_max_age_days)],
            "level_below_inferred": [{"dataset": d.id, "reviewed": d.level_reviewed, "inferred": d.level_inferred,
                                      "reviewed_by": d.reviewed_by} for d in loosened],
        }


def _clear_pii(grant: Grant, pii: dict[str, set[str]]) -> int:
    return len(set(grant.clear_columns or ()) & pii.get(grant.dataset_id, set()))


def _by_dataset(grants: list[Grant], delivered: list[tuple[str, str, str | None, int]], pii: dict[str, set[str]],
                datasets: dict[str, Dataset]) -> list[dict[str, Any]]:
    names = {g.dataset_id for g in grants} | {d for d, _, _, _ in delivered}
    out = []
    for name in names:
        mine = [g for g in grants if g.dataset_id == name]
        rows = sum(n for d, _, _, n in delivered if d == name)
        partners = {g.partner_id for g in mine} | {s.removeprefix("partner:") for d, s, _, _ in delivered
                                                    if d == name}
        clear = sum(_clear_pii(g, pii) for g in mine)
        level = _level(datasets.get(name))
        out.append({"dataset": name, "score": _score(level, clear, rows, len(partners)),
                    "parts": {"level": level, "clear_pii_columns_granted": clear, "rows_delivered": rows,
                              "partners": len(partners)}})
    return sorted(out, key=lambda r: (-r["score"], r["dataset"]))


def _by_partner(grants: list[Grant], delivered: list[tuple[str, str, str | None, int]], pii: dict[str, set[str]],
                datasets: dict[str, Dataset]) -> list[dict[str, Any]]:
    names = {g.partner_id for g in grants} | {s.removeprefix("partner:") for _, s, _, _ in delivered
                                              if s.startswith("partner:")}
    out = []
    for name in names:
        mine = [g for g in grants if g.partner_id == name]
        rows = sum(n for _, s, _, n in delivered if s == f"partner:{name}")
        level = max((_level(datasets.get(g.dataset_id)) for g in mine), default=0)
        clear = sum(_clear_pii(g, pii) for g in mine)
        breadth = len({g.dataset_id for g in mine})
        out.append({"partner": name, "score": _score(level, clear, rows, breadth),
                    "parts": {"highest_level": level, "clear_pii_columns_granted": clear, "rows_delivered": rows,
                              "datasets_granted": breadth}})
    return sorted(out, key=lambda r: (-r["score"], r["partner"]))


def _grant_ref(g: Grant) -> dict[str, Any]:
    return {"grant": g.id, "partner": g.partner_id, "dataset": g.dataset_id,
            "valid_from": g.valid_from.isoformat(), "valid_until": g.valid_until.isoformat()}


def _unused(grants: list[Grant], delivered: list[tuple[str, str, str | None, int]],
            since: datetime) -> list[dict[str, Any]]:
    used = {g for _, _, g, n in delivered if g}
    return [_grant_ref(g) for g in grants if g.id not in used and g.created_at <= since]
