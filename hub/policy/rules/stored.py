"""The officer rules in force, read from the store for the policy data (``data.hub.rules``).

Kept apart from ``revisions`` (which signs and audits) so that ``hub.policy.data`` can
read the active revision without importing the officer machinery.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.store.models import PolicyRuleRevision

ACTIVE = "active"


def active_revision(session: Session) -> PolicyRuleRevision | None:
    """The active revision (at most one), or None when no officer rules are in force."""
    return session.scalars(select(PolicyRuleRevision).where(PolicyRuleRevision.status == ACTIVE)
                           .order_by(PolicyRuleRevision.number.desc())).first()


def with_revision(doc: dict[str, Any], revision: str) -> dict[str, Any]:
    """``data.hub.rules``: the rule set document named by its revision id."""
    return {**{k: v for k, v in doc.items() if k != "revision"}, "revision": revision}


def active_document(session: Session) -> dict[str, Any] | None:
    """``data.hub.rules`` of the store: the active revision's document and id, or None."""
    row = active_revision(session)
    return None if row is None else with_revision(dict(row.document), row.id)
