"""Benchmark: impact replay rate (decisions/s) over recorded ``data.decision`` audit records.

    .venv/bin/python bench/policy_replay.py [--records 100000] [--partners 40] [--sample 1000]

Writes ``--records`` decision records through the real audit log (hash chain, SQLite) into
a scratch HUB_HOME, in the format the exchange writes them (``details.input``), spread
over 30 days of working hours for ``--partners`` partners on the policy-case fixtures'
dataset, with varied purposes and columns.  Then, in the same run:

* ``replay``   — ``hub.policy.rules.replay``: records read back from the audit table,
  inputs rebuilt, baseline and candidate decided once per input and time class;
* ``one-by-one`` — the same replay on a ``--sample`` of the records with every decision
  evaluated (no time-class reuse): the rate without batching, for the ratio.

The candidate adds a deny rule, a mask rule and a working-hours window, so time
matters.  Target (issue 15): replay >= 5,000 decisions/s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from hub.audit import AuditLog
from hub.events import DATA_DECISION, AuditEvent
from hub.policy.rules import replay as rp
from hub.policy.rules.replay_input import replay_details
from hub.settings import load_settings
from hub.store.db import open_store

FIXTURES = Path(__file__).resolve().parents[1] / "policies" / "tests" / "fixtures.yaml"
CANDIDATE = {
    "revision": "bench",
    "denies": [{"id": "d-p7", "match": {"subject": "partner:p-7"}}],
    "masks": [{"id": "m-phone", "match": {"clearance": 3}, "columns": {"pii": "CN_MOBILE"}, "strategy": "drop"}],
    "windows": [{"id": "w-l3", "match": {"min_level": 3}, "working_days": True, "from": "08:30", "until": "18:00"}],
}
PURPOSES = ["case-verification", "statistics"]
COLUMN_SETS = [[], ["amount", "township_code"], ["recipient_name", "recipient_phone", "amount"]]


def world(partners: int) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Policy data, the resource and the subjects: the fixtures' grant copied to each partner."""
    fixtures = yaml.safe_load(FIXTURES.read_text(encoding="utf-8"))
    data, resource = fixtures["data"], fixtures["input"]["resource"]
    template = data["grants"]["g-17"]
    subjects = []
    for i in range(partners):
        pid = f"p-{i}"
        clearance = 2 + i % 3
        data["partners"][pid] = {"clearance": clearance, "jurisdiction": "330106", "purposes": PURPOSES,
                                 "suspended": False}
        data["grants"][f"g-{i}"] = {**template, "id": f"g-{i}", "partner": pid, "purposes": PURPOSES,
                                    "requested_by": f"partner:{pid}", "valid_from": "2026-01-01T00:00:00+08:00",
                                    "valid_until": "2027-06-01T00:00:00+08:00"}
        subjects.append({"id": f"partner:{pid}", "kind": "partner", "clearance": clearance,
                         "jurisdiction": "330106", "purposes": PURPOSES, "suspended": False})
    return data, resource, subjects


def write_records(home: Path, n: int, resource: dict[str, Any], subjects: list[dict[str, Any]],
                  end: datetime) -> float:
    """Append ``n`` decision records through the real audit log; seconds taken."""
    rng = random.Random(15)
    settings = load_settings(home=home)
    store = open_store(settings.metadata_url)
    started = time.perf_counter()
    with AuditLog.from_settings(store, settings) as audit:
        for start in range(0, n, 5000):
            with store.session() as session:
                for _ in range(min(5000, n - start)):
                    subject = rng.choice(subjects)
                    request = {"purpose": rng.choice(PURPOSES), "columns": rng.choice(COLUMN_SETS)}
                    audit.append_in(session, AuditEvent(
                        DATA_DECISION, subject=subject["id"], action="read", dataset=resource["dataset"],
                        dataset_version=resource["version"], purpose=request["purpose"],
                        decision=rng.choice(["allow", "allow", "allow", "deny"]), policy_revision="bench/bench",
                        details=replay_details(subject, request, {})))
    store.dispose()
    return time.perf_counter() - started


def spread(records: list[dict[str, Any]], end: datetime) -> None:
    """Give the records times over the last 30 days (the audit log stamps them all now)."""
    rng = random.Random(16)
    for record in records:
        moment = end - timedelta(seconds=rng.randrange(30 * 86400))
        record["ts"] = moment.astimezone(UTC).isoformat(timespec="microseconds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=40)
    parser.add_argument("--sample", type=int, default=1000)
    args = parser.parse_args()
    data, resource, subjects = world(args.partners)
    end = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "hub"
        home.mkdir()
        wrote = write_records(home, args.records, resource, subjects, end)
        print(f"wrote {args.records} decision records through the audit log in {wrote:.1f} s")
        store = open_store(load_settings(home=home).metadata_url)
        t0 = time.perf_counter()
        with store.session() as session:
            records = rp.load_records(session, days=30, now=end + timedelta(seconds=1))
        loaded = time.perf_counter() - t0
        store.dispose()
    spread(records, end)
    assert len(records) == args.records, len(records)

    def resource_of(_d: str, _v: str | None) -> dict[str, Any]:
        return resource

    t0 = time.perf_counter()
    impact = rp.replay(records, data, CANDIDATE, resource_of, lambda _s: None)
    batched = time.perf_counter() - t0
    sample = records[: args.sample]
    player = rp.Replayer(data, CANDIDATE)
    player.time_class = lambda ts: (ts,)  # type: ignore[method-assign]  # every record its own class
    t0 = time.perf_counter()
    one = rp.replay(sample, data, CANDIDATE, resource_of, lambda _s: None, replayer=player)
    single = time.perf_counter() - t0
    rate, base = impact.replayed / batched, one.replayed / single
    print(f"loaded {len(records)} records from the audit table in {loaded:.2f} s "
          f"({len(records) / loaded:,.0f}/s)")
    print(f"replay:     {impact.replayed} decisions in {batched:.2f} s = {rate:,.0f} decisions/s "
          f"({impact.evaluations} distinct evaluations per side); totals {impact.totals()}")
    print(f"one-by-one: {one.replayed} decisions in {single:.2f} s = {base:,.0f} decisions/s "
          f"(2 evaluations each)")
    print(f"ratio replay / one-by-one: {rate / base:.1f}x; with loading: "
          f"{impact.replayed / (batched + loaded):,.0f} decisions/s; target >= 5,000/s: "
          f"{'met' if rate >= 5000 else 'NOT met'}")


if __name__ == "__main__":
    main()
