"""Decision scopes: which part of the policy data one subject's decisions depend on.

A decision for ``(subject kind, subject id)`` reads, of the policy data, only that
subject's own records — its partner record, its standing suspension and the grants it
holds (all through ``data.hub.index``) — and the shared rest of ``data.hub``
(officers, limits, the constant tables).  ``Scopes`` computes, per subject and once per
loaded data document:

- a **scope revision**: a hash of the shared rest and of the subject's own records.  The
  decision cache keys on it instead of the whole data revision, so approving a grant for
  partner A, or locking A down, changes A's revision and no one else's: B's cached
  decisions stay (issue 13, scoped invalidation);
- its **edges**: the instants at which one of its grants starts or ends.  A decision made
  "now" is valid until the next edge (or the local day change, see ``point``), never past it.

Everything except ``partners``, ``suspensions`` and ``grants`` belongs to the shared
rest, so a new top-level member of ``data.hub`` invalidates every subject by default.  A
rule that read another subject's grants or records would need this module widened:
``tests/policy/test_scope.py`` re-decides the policy cases after changes to other
subjects and checks the decisions of unchanged scopes stay the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.policy.index import rfc3339_ns

#: The members of ``data.hub`` that are split per subject; the rest is shared.
SCOPED = ("partners", "suspensions", "grants")


def _digest(value: Any) -> str:
    body = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(body.encode()).hexdigest()


class Scopes:
    """Scope revisions and grant edges of every subject, for one prepared data document."""

    def __init__(self, prepared: Mapping[str, Any]) -> None:
        self._index = prepared.get("index") or {}
        self._shared = _digest({k: v for k, v in prepared.items() if k not in (*SCOPED, "index")})
        self._memo: dict[tuple[str, str], tuple[str, tuple[float, ...]]] = {}

    def of(self, subject: Mapping[str, Any]) -> tuple[str, tuple[float, ...]]:
        """``(scope revision, sorted grant edges in epoch seconds)`` of an input ``subject``."""
        kind, sid = subject.get("kind"), subject.get("id")
        key = (kind if isinstance(kind, str) else repr(kind), sid if isinstance(sid, str) else repr(sid))
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._compute(*key)
        return found

    def _compute(self, kind: str, sid: str) -> tuple[str, tuple[float, ...]]:
        index = self._index
        own = {
            # the lookups the policies make for this subject (subject.rego, grants.rego)
            "partner": index.get("partners", {}).get(sid) if kind == "partner" else None,
            "suspension": index.get("suspensions", {}).get(sid) if kind == "partner" else None,
            "grants": (index.get("grants", {}).get(kind) or {}).get(sid),
        }
        revision = _digest([self._shared, own])[:16]
        return revision, _edges(own["grants"] or {})


def _edges(grants_by_dataset: Mapping[str, Any]) -> tuple[float, ...]:
    """The instants (epoch seconds) at which a grant of the subject starts or ends."""
    edges: set[float] = set()
    for entries in grants_by_dataset.values():
        for entry in entries or ():
            grant = entry.get("grant") or {}
            for ns_key, text_key in (("from_ns", "valid_from"), ("until_ns", "valid_until")):
                ns = entry.get(ns_key)
                if ns is None:
                    ns = rfc3339_ns(grant.get(text_key)) or _parsed_ns(grant.get(text_key))
                if ns is not None:
                    edges.add(ns / 1e9)
    return tuple(sorted(edges))


def _parsed_ns(text: Any) -> int | None:
    """A grant time the index left for the policies (``Z`` suffix and the like), parsed here."""
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1e9) if isinstance(text, str) else None
    except (ValueError, OverflowError):
        return None
