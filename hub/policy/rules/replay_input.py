"""What a ``data.decision`` audit record keeps of its decision input, to replay it later.

The record itself names the subject, action, dataset, dataset version, purpose and time;
``details.input`` adds the subject's attributes as decided on, the request (purpose,
columns, rows requested) and the decision context but for the client address and the
time (today: the rows the subject had used today).  The resource (the
catalog's columns and levels) is not copied into every record: replay rebuilds it from
the catalog for the dataset and version the record names (``rebuild``).  A record
without ``details.input`` (written before it was recorded) is rebuilt from the store:
the subject as registered now, every column, the default page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

UNRECORDED = ("client_ip", "time")  # the record has both already
DEFAULT_ROWS = 100  # hub.exchange.plan.DEFAULT_PAGE, for records that do not say

#: (dataset, version) → the decision-input resource, or None when the catalog lacks it
ResourceOf = Callable[[str, str | None], Mapping[str, Any] | None]
#: subject id → the subject's decision-input attributes as stored now, or None
SubjectOf = Callable[[str], Mapping[str, Any] | None]


def replay_details(subject: Mapping[str, Any], request: Mapping[str, Any],
                   context: Mapping[str, Any]) -> dict[str, Any]:
    """The ``details`` of a ``data.decision`` record: what replay needs besides the catalog."""
    kept = {k: v for k, v in context.items() if k not in UNRECORDED}
    return {"input": {"subject": dict(subject), "request": dict(request), "context": kept}}


def rebuild(record: Mapping[str, Any], resource_of: ResourceOf,
            subject_of: SubjectOf) -> tuple[dict[str, Any], bool] | None:
    """(the decision input of ``record`` at its time, whether it was recorded) — None when
    the dataset or subject is no longer known."""
    resource = resource_of(str(record["dataset"]), record.get("dataset_version"))
    if resource is None:
        return None
    details = record.get("details") or {}
    recorded = details.get("input") if isinstance(details, Mapping) else None
    if isinstance(recorded, Mapping) and isinstance(recorded.get("subject"), Mapping):
        subject, request = recorded["subject"], recorded.get("request") or {}
        context = dict(recorded.get("context") or {})
    else:
        subject = subject_of(str(record["subject"]))
        if subject is None:
            return None
        request = {"purpose": record.get("purpose"), "columns": [], "rows_requested": DEFAULT_ROWS}
        context = {"rows_used_today": {}}
    context["time"] = str(record["ts"])
    doc = {"subject": dict(subject), "action": record.get("action") or "read", "resource": dict(resource),
           "request": dict(request), "context": context}
    return doc, isinstance(recorded, Mapping)
