"""Impact analysis: the recorded decisions replayed against a candidate rule revision.

``replay`` takes ``data.decision`` records (``load_records``: the last N days of the audit
log), rebuilds each decision input (``replay_input.rebuild``: the recorded subject,
request and usage, the resource from the catalog version the record names, the
record's time) and decides it twice on the same policies and policy data: once with the
officer rules in force (the *baseline*) and once with the candidate's.  Every difference
is counted by partner and dataset with examples: allow→deny and deny→allow flips, columns
whose mask changes (tighter, looser, or off the strictness chain) and row caps.  Any
deny→allow flip, looser mask or raised cap is a *loosening*, and a change set whose
replay shows one is refused (officer rules only tighten).  Where the baseline differs
from the recorded decision (grants revoked since, catalog changes) the record counts as
*drift*: it is replayed all the same.

Replaying is batch work: inputs equal but for the time are decided once per *time
class* — the same side of every grant's start and end and the same open/closed state
of every access window — which is exact because those are the only instants at which
the policies read the time (hub/policy/rules/compiled.py, policies/hub/grants.rego).
"""

from __future__ import annotations

import bisect
import json
import pickle
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from hub.events import DATA_DECISION
from hub.policy.decision import Decision, PolicyError, parse_decision
from hub.policy.engine import Engine, RegopyEngine
from hub.policy.index import prepare
from hub.policy.rules import strictness
from hub.policy.rules.compiled import compile_rules, window_open
from hub.policy.rules.replay_input import ResourceOf, SubjectOf, rebuild
from hub.policy.sources import PolicySet, load_policies
from hub.store.models import AuditRecord

EXAMPLES = 3
RECORD_FIELDS = ("seq", "ts", "subject", "action", "dataset", "dataset_version", "purpose", "decision",
                 "details")


def load_records(session: Session, days: int = 30, now: datetime | None = None) -> list[dict[str, Any]]:
    """The allow/deny ``data.decision`` records of the last ``days`` days, oldest first.

    ``details`` comes as its stored JSON text (parsed by ``rebuild`` only for the first
    record of each distinct input: most records repeat an earlier one)."""
    since = ((now or datetime.now(UTC)) - timedelta(days=days)).astimezone(UTC).isoformat(timespec="microseconds")
    columns = [getattr(AuditRecord, f) for f in RECORD_FIELDS[:-1]] + [cast(AuditRecord.details, Text)]
    rows = session.execute(select(*columns).where(
        AuditRecord.event == DATA_DECISION, AuditRecord.ts >= since,
        AuditRecord.decision.in_(("allow", "deny"))).order_by(AuditRecord.seq))
    return [dict(zip(RECORD_FIELDS, row, strict=True)) for row in rows]


@dataclass
class Group:
    """The changes of one partner on one dataset."""

    subject: str
    dataset: str
    replayed: int = 0
    allow_to_deny: int = 0
    deny_to_allow: int = 0
    masks: dict[str, dict[str, int]] = field(default_factory=dict)  # column → {tighter|looser|changed: n}
    cap_lowered: int = 0
    cap_raised: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.allow_to_deny or self.deny_to_allow or self.masks or self.cap_lowered or self.cap_raised)

    @property
    def loosening(self) -> bool:
        return bool(self.deny_to_allow or self.cap_raised or any(m.get("looser") or m.get("changed")
                                                                   for m in self.masks.values()))

    def to_dict(self) -> dict[str, Any]:
        return {"subject": self.subject, "dataset": self.dataset, "replayed": self.replayed,
                "allow_to_deny": self.allow_to_deny, "deny_to_allow": self.deny_to_allow, "masks": self.masks,
                "cap_lowered": self.cap_lowered, "cap_raised": self.cap_raised, "loosening": self.loosening,
                "examples": self.examples}


@dataclass
class Impact:
    """What the candidate would have changed in the replayed decisions."""

    baseline: str
    candidate: str
    records: int = 0
    replayed: int = 0
    skipped: int = 0  # dataset or subject no longer known
    rebuilt: int = 0  # distinct inputs without a recorded input (rebuilt from the store)
    drift: int = 0  # baseline differs from the recorded decision
    evaluations: int = 0  # distinct (input, time class) pairs actually evaluated, per side
    groups: dict[tuple[str, str], Group] = field(default_factory=dict)
    flips: list[dict[str, Any]] = field(default_factory=list)  # every flip: seq, before, after

    @property
    def loosening(self) -> bool:
        return any(g.loosening for g in self.groups.values())

    def totals(self) -> dict[str, int]:
        groups = self.groups.values()
        return {"allow_to_deny": sum(g.allow_to_deny for g in groups),
                "deny_to_allow": sum(g.deny_to_allow for g in groups),
                "mask_changes": sum(n for g in groups for m in g.masks.values() for n in m.values()),
                "cap_lowered": sum(g.cap_lowered for g in groups), "cap_raised": sum(g.cap_raised for g in groups)}

    def to_dict(self) -> dict[str, Any]:
        return {"baseline": self.baseline, "candidate": self.candidate, "records": self.records,
                "replayed": self.replayed, "skipped": self.skipped, "rebuilt": self.rebuilt, "drift": self.drift,
                "evaluations": self.evaluations, "loosening": self.loosening, "totals": self.totals(),
                "groups": [g.to_dict() for g in sorted(self.groups.values(), key=lambda g: (g.subject, g.dataset))
                           if g.changed],
                "flips": self.flips}


class Side:
    """One engine loaded with the policies and one version of the policy data."""

    def __init__(self, policies: PolicySet, data: dict[str, Any], engine: Engine | None = None) -> None:
        self.engine = engine or RegopyEngine()
        self.policies = policies
        self.engine.load(policies, prepare(data))
        self.revision = (data.get("rules") or {}).get("revision", "r0")
        self.windows = compile_rules(data.get("rules"))["windows"]

    def decide(self, doc: dict[str, Any]) -> Decision:
        try:
            return parse_decision(self.engine.evaluate(doc), self.policies.revision, self.revision)
        except PolicyError as exc:
            return Decision.unavailable(str(exc), self.policies.revision, self.revision)


def _instants(data: Mapping[str, Any]) -> list[float]:
    out: set[float] = set()
    for grant in (data.get("grants") or {}).values():
        for key in ("valid_from", "valid_until"):
            try:
                out.add(datetime.fromisoformat(grant[key]).timestamp())
            except (KeyError, TypeError, ValueError):
                continue
    return sorted(out)


class Replayer:
    """Baseline and candidate sides over the same policy data; decisions cached per time class."""

    def __init__(self, data: dict[str, Any], candidate_rules: dict[str, Any] | None,
                 policies: PolicySet | None = None) -> None:
        policies = policies or load_policies()
        self.baseline = Side(policies, data)
        self.candidate = Side(policies, {**data, "rules": candidate_rules})
        self.instants = _instants(data)
        self.windows = [*self.baseline.windows, *self.candidate.windows]
        self._cache: dict[bytes, tuple[Decision, Decision]] = {}

    def time_class(self, ts: str) -> tuple[Any, ...]:
        moment = datetime.fromisoformat(ts).timestamp()
        index = bisect.bisect_right(self.instants, moment)
        return (index, *(window_open(w, moment) for w in self.windows))

    def both(self, doc: dict[str, Any], resource_key: Any = None) -> tuple[Decision, Decision]:
        """(baseline, candidate) decisions of ``doc``; ``resource_key`` names its resource when
        equal keys always come with equal resources (the catalog's dataset and version)."""
        context = doc["context"]
        timeless = {k: v for k, v in context.items() if k != "time"}
        resource = doc["resource"] if resource_key is None else resource_key
        key = pickle.dumps((doc["subject"], doc["action"], resource, doc["request"], timeless,
                            self.time_class(context["time"])), protocol=5)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = (self.baseline.decide(doc), self.candidate.decide(doc))
        return hit


def _mask_changes(before: Decision, after: Decision, columns: Mapping[str, Any]) -> dict[str, str]:
    """column → tighter | looser | changed, for columns the two decisions mask differently."""
    out = {}
    for name in sorted(set(before.columns) | set(after.columns)):
        a, b = before.columns.get(name, "drop"), after.columns.get(name, "drop")
        if a != b:
            kind = strictness.column_kind(dict(columns.get(name) or {}))
            way = strictness.direction(kind, a, b)
            out[name] = "changed" if way == "same" else way
    return out


def _example(seq: Any, ts: Any, purpose: Any, before: Decision, after: Decision, what: str) -> dict[str, Any]:
    new = [r for r in after.reasons if r not in before.reasons]
    return {"seq": seq, "ts": ts, "change": what, "purpose": purpose, "reasons": new[:3]}


def _verdict(decision: Decision) -> str:
    return "allow" if decision.allow else "deny"


@dataclass(frozen=True)
class Outcome:
    """What changes for one distinct input (in one time class): worked out once, counted per record."""

    before: Decision
    after: Decision
    masks: dict[str, str]  # column → tighter | looser | changed
    changes: str  # the example text; empty when nothing changes

    @property
    def flip(self) -> bool:
        return self.before.allow != self.after.allow

    @property
    def cap(self) -> int:
        """-1 lowered, 1 raised, 0 the same (or no cap)."""
        a, b = self.before.max_rows, self.after.max_rows
        if self.flip or not self.before.allow or a is None or b is None or a == b:
            return 0
        return -1 if b < a else 1


def outcome(doc: dict[str, Any], before: Decision, after: Decision) -> Outcome:
    """Compare ``before`` and ``after`` (the baseline and candidate decisions of ``doc``)."""
    masks: dict[str, str] = {}
    changes: list[str] = []
    if before.allow != after.allow:
        changes.append(f"{_verdict(before)}→{_verdict(after)}")
    elif before.allow:
        masks = _mask_changes(before, after, doc["resource"].get("columns") or {})
        changes += [f"{c} {before.columns.get(c, 'drop')}→{after.columns.get(c, 'drop')} ({w})"
                    for c, w in masks.items()]
        if before.max_rows is not None and after.max_rows is not None and before.max_rows != after.max_rows:
            changes.append(f"max_rows {before.max_rows}→{after.max_rows}")
    return Outcome(before, after, masks, "; ".join(changes))


def count(impact: Impact, record: Mapping[str, Any], result: Outcome) -> None:
    """Count ``result`` for ``record`` in its partner/dataset group."""
    key = (str(record["subject"]), str(record["dataset"]))
    group = impact.groups.get(key) or impact.groups.setdefault(key, Group(*key))
    group.replayed += 1
    impact.drift += _verdict(result.before) != record.get("decision")
    if not result.changes:
        return
    if result.flip:
        if result.before.allow:
            group.allow_to_deny += 1
        else:
            group.deny_to_allow += 1
        impact.flips.append({"seq": record["seq"], "before": _verdict(result.before),
                             "after": _verdict(result.after)})
    for column, way in result.masks.items():
        counts = group.masks.setdefault(column, {})
        counts[way] = counts.get(way, 0) + 1
    if result.cap < 0:
        group.cap_lowered += 1
    elif result.cap > 0:
        group.cap_raised += 1
    if len(group.examples) < EXAMPLES:
        group.examples.append(_example(record["seq"], record["ts"], record.get("purpose"), result.before,
                                       result.after, result.changes))


def _parsed(record: Mapping[str, Any]) -> Mapping[str, Any]:
    details = record.get("details")
    if isinstance(details, str):
        try:
            details = json.loads(details)
        except ValueError:
            details = {}
    return {**record, "details": details if isinstance(details, Mapping) else {}}


def replay(records: Iterable[Mapping[str, Any]], data: dict[str, Any], candidate_rules: dict[str, Any] | None,
           resource_of: ResourceOf, subject_of: SubjectOf, *, replayer: Replayer | None = None) -> Impact:
    """Replay ``records`` with the officer rules of ``data`` (baseline) and ``candidate_rules``.

    A record's input is rebuilt and decided only when no earlier record had the same
    input (subject, action, dataset version, purpose, recorded details) in the same time
    class; otherwise the earlier outcome is counted again."""
    player = replayer or Replayer(data, candidate_rules)
    impact = Impact(player.baseline.revision, player.candidate.revision)
    resources: dict[tuple[str, str | None], Mapping[str, Any] | None] = {}
    outcomes: dict[tuple[Any, ...], Outcome | None] = {}

    def cached_resource(dataset: str, version: str | None) -> Mapping[str, Any] | None:
        if (dataset, version) not in resources:
            resources[(dataset, version)] = resource_of(dataset, version)
        return resources[(dataset, version)]

    for record in records:
        impact.records += 1
        details = record.get("details")
        raw = details if isinstance(details, str) else json.dumps(details, sort_keys=True, default=str)
        key = (record["subject"], record.get("action"), record["dataset"], record.get("dataset_version"),
               record.get("purpose"), raw, player.time_class(str(record["ts"])))
        if key in outcomes:
            result = outcomes[key]
        else:
            full = _parsed(record)
            built = rebuild(full, cached_resource, subject_of)
            result = None
            if built is not None:
                doc, recorded = built
                impact.rebuilt += not recorded
                result = outcome(doc, *player.both(doc, (record["dataset"], record.get("dataset_version"))))
            outcomes[key] = result
        if result is None:
            impact.skipped += 1
            continue
        impact.replayed += 1
        count(impact, record, result)
    impact.evaluations = len(player._cache)
    return impact


# --- over the store ------------------------------------------------------------------------


def store_lookups(session: Session) -> tuple[ResourceOf, SubjectOf]:
    """Resources from the catalog (by dataset and version) and subjects as registered now."""
    from hub.errors import NotFound
    from hub.identity import load_subject
    from hub.policy.resource import resource_input

    def resource_of(dataset: str, version: str | None) -> Mapping[str, Any] | None:
        try:
            return resource_input(session, dataset, version)
        except NotFound:
            return None

    def subject_of(subject_id: str) -> Mapping[str, Any] | None:
        subject = load_subject(session, subject_id)
        return None if subject is None else subject.policy_input()

    return resource_of, subject_of


#: Told (records replayed since the last call, records in all) as a replay goes on.
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


def _reporting(records: list[dict[str, Any]], progress: Progress) -> Iterator[dict[str, Any]]:
    total = len(records)
    for index, record in enumerate(records, 1):
        yield record
        if index % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY, total)
    progress(total % PROGRESS_EVERY, total)


def impact_in_store(session: Session, candidate_rules: dict[str, Any] | None, *, days: int = 30,
                    now: datetime | None = None, progress: Progress | None = None) -> Impact:
    """The impact of ``candidate_rules`` (``data.hub.rules``) on the last ``days`` days of decisions."""
    from hub.policy.data import build_policy_data

    moment = now or datetime.now(UTC)
    data = build_policy_data(session, moment)
    resource_of, subject_of = store_lookups(session)
    records = load_records(session, days, moment)
    if progress is not None:
        progress(0, len(records))
    return replay(records if progress is None else _reporting(records, progress), data, candidate_rules,
                  resource_of, subject_of)


def loosening_problems(impact: Impact) -> list[str]:
    """Why a replay refuses a change set: every group where it would loosen."""
    out = []
    for group in impact.groups.values():
        if group.loosening:
            looser = sorted(c for c, m in group.masks.items() if m.get("looser") or m.get("changed"))
            out.append(f"replay: `{group.subject}` on `{group.dataset}` would be loosened ({group.deny_to_allow} "
                       f"deny→allow, {group.cap_raised} raised caps, looser masks on {looser or 'none'}): "
                       "officer rules only tighten")
    return out
