"""The officer's signed review of a catalog entry: what makes a new dataset exchangeable.

The officer (the owner officer of the dataset's provider, or a security officer)
signs a statement (``hub.statements``) with action ``review`` on target
``dataset:<id>`` over the resolved review terms (``catalog.review.Resolved.terms``:
dataset, level, sharing type, region column, column classes).  The hub verifies it
against the officer's registered key (``hub.officers.accept``) before the review is
stored and applied (``catalog.review.apply``); the statement goes into the audit
record, where ``hub audit verify`` checks it again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from catalog.review import Resolved, ReviewRequest, apply, resolve
from hub import officers
from hub.events import EventSink
from hub.store.models import Dataset

ACTION = "review"


def target(dataset: str) -> str:
    return f"dataset:{dataset}"


def review(session: Session, sink: EventSink, req: ReviewRequest, statement: str, *,
           now: datetime | None = None, signer: str | None = None) -> Dataset:
    """Resolve ``req``, verify the officer's statement over its terms, apply it; return the entry."""
    resolved: Resolved = resolve(session, req)
    signed = officers.accept(session, statement, actions=(ACTION,), target=target(resolved.dataset),
                             terms=resolved.terms(), now=now, signer=signer)
    evidence = officers.signed_details(signed.row.target, signed.terms, [signed.row])
    return apply(session, sink, resolved, signed.officer, comment=signed.note, evidence=evidence, now=now)
