"""Situational awareness: a labelled traffic simulator against a served hub (issue 16).

    python bench/awareness.py --home /tmp/bench/aw/hub --scale 20000 --days 14

The bench prepares ``--home`` once (seed + ``hub run`` at ``--scale``) if it holds no
hub, copies it, registers partners, officers and grants (two-person rule, signed), and
serves the exchange API with uvicorn in this process (real HTTP on a local port, real
client assertions and access tokens, the hub's detector thread running as under
``hub serve``, client IPs taken from ``X-Forwarded-For`` as behind a reverse proxy).

It then plays ``--days`` simulated days of normal traffic from four partners with their
own rhythms (a county office on weekdays 09-17, a province platform 08-20 every day, an
audit office 13-21, a public portal around the clock; each with its own datasets, page
sizes, filters and a little noise: a denied request now and then), and on the last day
six labelled attacks among the normal traffic:

1. off-hours bulk read   — the county office reads personal data at 02:30;
2. token stuffing        — one IP sends 60 forged client assertions in a minute;
3. denial probing        — the audit office asks for 40 datasets it holds no grant for;
4. volume spike          — the province platform pulls twenty times its usual rows;
5. enumeration by lookup — the county office walks payment ids one by one;
6. new IP + unusual dataset — the province platform, from an IP never seen, reads a
   level-3 dataset it was granted but never read.

Simulated time: the hub's audit records take their ``ts`` from the bench's clock
(``hub.audit.record.set_clock``, a hook for simulators; nothing in production reaches it),
moved to each request's simulated time before it is sent — the detectors only ever read
``ts``.  Policy decisions, tokens and quotas keep the real clock.

For each attack it prints whether it was detected, by which alert, and the time to
detection: in record time from the attack's first request to the record that raised the
alert, plus the real lag from that request's response to the alert being stored by the
detector thread (the detectors' own delay, measured); their sum is compared with the
60 s target.  Every alert not attributed to an attack is a false alert, reported per
10,000 normal requests (target ≤ 1).  Before the attack day officers resolve the alerts
raised so far (signed statements, through the API), as they would triage them.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serving import free_port  # noqa: E402
from hub.api import create_app  # noqa: E402
from hub.audit.record import set_clock  # noqa: E402
from hub.store.models import Alert, AuditRecord, AwarenessState  # noqa: E402
from hub.tokens import ASSERTION_TYPE, client_assertion  # noqa: E402
from tests.api.exchange_world import (  # noqa: E402
    SUBSIDY,
    World,
    _register,
    build_world,
    enrol_officer,
    grant,
    subsidy_columns,
)

CST = timezone(timedelta(hours=8), "UTC+8")
FINDINGS, TREASURY, INDICATORS = "audit.findings", "finance.treasury_payment", "statistics.indicators"
TARGET_S = 60.0


# --- the simulated clock and the served hub -------------------------------------------


@dataclass
class SimClock:
    """The audit log's clock during the run: moved forward by the simulator, never back."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


def prepare(home: Path, scale: int) -> None:
    """Seed a sandbox and run the pipeline into ``home`` unless it already holds a hub."""
    if (home / "hub.sqlite").exists():
        return
    from hub.pipeline import run_pipeline
    from hub.sandbox import seed
    from hub.settings import load_settings

    print(f"preparing {home} (scale {scale}) …", flush=True)
    seed(home / "sandbox", seed=11, scale=scale)
    run_pipeline(load_settings(home=home), home / "sandbox")


def latest_ts(home: Path) -> datetime:
    """The time of the newest audit record in ``home`` (or the epoch)."""
    import sqlite3

    with sqlite3.connect(home / "hub.sqlite") as db:
        row = db.execute("SELECT max(ts) FROM audit_records").fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else datetime(1970, 1, 1, tzinfo=UTC)




class Served:
    """The exchange API under uvicorn in a thread, as ``hub serve`` runs it, detectors on, the bench
    trusted as the reverse proxy (``HUB_TRUSTED_PROXIES=127.0.0.1``) so it can name client IPs."""

    def __init__(self, world: World, port: int) -> None:
        import uvicorn

        from hub.api.server import server_config

        self.base = f"http://127.0.0.1:{port}"
        settings = world.settings.model_copy(update={
            "trusted_proxies": "127.0.0.1", "awareness_interval_s": 0.5,
            # the audit writer's checkpoint timer runs on the real clock while record time leaps
            # ahead by hours: a record-time checkpoint lag means nothing here
            "awareness_checkpoint_lag_s": 10**9, "awareness_checkpoint_lag_records": 10**9})
        world.settings = settings
        app = create_app(settings, audit=world.audit.append, store=world.store, public_url=self.base,
                         awareness=True)
        self.server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the hub did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


# --- partners and their traffic ---------------------------------------------------------


@dataclass
class Partner:
    """A partner system: its key, its token, its rhythm."""

    name: str
    cid: str
    kid: str
    key: Any
    ips: list[str]
    hours: range
    per_hour: float
    weekdays_only: bool
    request: Callable[[random.Random], tuple[str, dict[str, Any]]]  # → (dataset, params)
    token: str = ""
    token_at: float = 0.0


@dataclass
class Sent:
    """One request the simulator made."""

    t: datetime
    who: str
    label: str  # "normal" or a scenario name
    status: int
    request_id: str
    wall: float


@dataclass
class Run:
    http: httpx.Client
    clock: SimClock
    base: str
    sent: list[Sent] = field(default_factory=list)

    def token(self, p: Partner, ip: str, label: str) -> None:
        if p.token and time.monotonic() - p.token_at < 500:
            return
        assertion = client_assertion(p.key, p.cid, f"{self.base}/oauth/token", kid=p.kid)
        r = self._post_token(assertion, ip, p.cid, label)
        if r.status_code != 200:
            raise RuntimeError(f"{p.cid}: no token: {r.status_code} {r.text[:200]}")
        p.token, p.token_at = r.json()["access_token"], time.monotonic()

    def _post_token(self, assertion: str, ip: str, who: str, label: str) -> httpx.Response:
        r = self.http.post("/oauth/token", headers={"X-Forwarded-For": ip}, data={
            "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion})
        self.sent.append(Sent(self.clock.now, who, label, r.status_code, r.headers.get("x-hub-request-id", ""),
                              time.time()))
        return r

    def rows(self, p: Partner, dataset: str, params: dict[str, Any], ip: str, label: str) -> int:
        self.token(p, ip, label)
        r = self.http.get(f"/v1/datasets/{dataset}/rows", params=params,
                          headers={"Authorization": f"Bearer {p.token}", "X-Forwarded-For": ip})
        self.sent.append(Sent(self.clock.now, p.cid, label, r.status_code, r.headers.get("x-hub-request-id", ""),
                              time.time()))
        return r.status_code


def _county(rng: random.Random) -> tuple[str, dict[str, Any]]:
    if rng.random() < 0.01:
        return "finance.payroll", {"purpose": "case-verification", "limit": 20}  # no grant: denied
    return SUBSIDY, {"purpose": "case-verification", "limit": 100,
                     "filter": f"program_code:eq:{rng.choice(['DB', 'TK', 'GD', 'YL'])}"}


def _province(rng: random.Random) -> tuple[str, dict[str, Any]]:
    if rng.random() < 0.01:
        return "finance.payroll", {"purpose": "case-verification", "limit": 20}
    return SUBSIDY, {"purpose": "case-verification", "limit": 500}


def _audit_office(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return FINDINGS, {"purpose": "case-verification", "limit": 50}


def _portal(rng: random.Random) -> tuple[str, dict[str, Any]]:
    return INDICATORS, {"purpose": "statistics", "limit": 200}


def setup(src: Path, work: Path) -> tuple[World, dict[str, Partner]]:
    """Copy the home; partners, officers and grants as the hub registers and approves them."""
    world = build_world(src, work / "home", max_rows=10**8)
    _register(world, "partner", "hz-audit-office", clearance=3, jurisdiction="330000",
              purposes=["case-verification"])
    _register(world, "partner", "pub-portal", clearance=1, jurisdiction="330000", purposes=["statistics"])
    enrol_officer(world, "own-audit", "owner", "audit")
    with world.store.session() as session:
        from catalog.listing import columns

        findings_cols = [c.name for c in columns(session, FINDINGS)]
        treasury_cols = [c.name for c in columns(session, TREASURY)]
    grant(world, "hz-audit-office", FINDINGS, "case-verification", findings_cols, [], owner="own-audit",
          max_rows=10**8)
    grant(world, "zj-province", TREASURY, "case-verification", treasury_cols, [], max_rows=10**8)
    assert subsidy_columns(world)
    c = world.clients
    partners = {
        "county": Partner("county", c["hz-xihu-jw"].client_id, c["hz-xihu-jw"].kid, c["hz-xihu-jw"].key,
                          ["10.1.0.11", "10.1.0.12"], range(9, 17), 40, True, _county),
        "province": Partner("province", c["zj-province"].client_id, c["zj-province"].kid, c["zj-province"].key,
                            ["10.2.0.21"], range(8, 20), 30, False, _province),
        "audit": Partner("audit", c["hz-audit-office"].client_id, c["hz-audit-office"].kid,
                         c["hz-audit-office"].key, ["10.3.0.31"], range(13, 21), 15, False, _audit_office),
        "portal": Partner("portal", c["pub-portal"].client_id, c["pub-portal"].kid, c["pub-portal"].key,
                          ["10.4.0.41"], range(0, 24), 4, False, _portal),
    }
    return world, partners


def normal_events(partners: dict[str, Partner], start: datetime, days: int,
                  seed: int) -> list[tuple[datetime, str, int]]:
    """(time, partner, rng seed) of every normal request: Poisson arrivals in each partner's hours."""
    rng = random.Random(seed)
    events = []
    for day in range(days + 1):
        midnight = start + timedelta(days=day)
        for name, p in partners.items():
            if p.weekdays_only and midnight.astimezone(CST).weekday() >= 5:
                continue
            for hour in p.hours:
                t = midnight + timedelta(hours=hour)
                end = t + timedelta(hours=1)
                while True:
                    t += timedelta(seconds=rng.expovariate(p.per_hour / 3600))
                    if t >= end:
                        break
                    events.append((t, name, rng.randrange(1 << 30)))
    return sorted(events)


# --- the six attacks ----------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    at: datetime  # simulated start
    subject: str  # the alert subject that attributes an alert to it
    kinds: tuple[str, ...]
    steps: list[tuple[float, Callable[[Run], None]]]  # (seconds after start, action)

    @property
    def end(self) -> datetime:
        return self.at + timedelta(seconds=self.steps[-1][0])


def scenarios(partners: dict[str, Partner], day: datetime) -> list[Scenario]:
    county, province, audit = partners["county"], partners["province"], partners["audit"]
    at = (lambda h, m=0: day + timedelta(hours=h, minutes=m))  # noqa: E731 - a tiny local helper
    forged = Ed25519PrivateKey.generate()

    def stuff(run: Run) -> None:
        assertion = client_assertion(forged, county.cid, f"{run.base}/oauth/token")
        run._post_token(assertion, "203.0.113.66", "ip:203.0.113.66", "token stuffing")

    denied = ["finance.payroll", "state_assets.enterprise", "finance.treasury_payment", "resources.person",
              "state_assets.asset_disposal", "clues.split_procurement", "clues.duplicate_subsidy",
              "state_assets.major_decision"]
    return [
        Scenario("off-hours bulk read", at(2, 30), county.cid, ("off_hours",), [
            (60.0 * i, lambda run: run.rows(county, SUBSIDY, {"purpose": "case-verification", "limit": 1000},
                                            county.ips[0], "off-hours bulk read")) for i in range(3)]),
        Scenario("token stuffing", at(4), "ip:203.0.113.66", ("credential_failures",),
                 [(1.0 * i, stuff) for i in range(60)]),
        Scenario("denial probing", at(10), audit.cid, ("denial_burst",), [
            (2.0 * i, lambda run, d=denied[i % len(denied)]: run.rows(
                audit, d, {"purpose": "case-verification", "limit": 10}, audit.ips[0], "denial probing"))
            for i in range(40)]),
        Scenario("volume spike", at(14), province.cid, ("volume_spike",), [
            (4.0 * i, lambda run: run.rows(province, SUBSIDY, {"purpose": "case-verification", "limit": 10_000},
                                           province.ips[0], "volume spike")) for i in range(30)]),
        Scenario("enumeration by lookups", at(15, 30), county.cid, ("enumeration",), [
            (0.75 * i, lambda run, n=i: run.rows(county, SUBSIDY, {
                "purpose": "case-verification", "limit": 1, "filter": f"payment_id:eq:{1000 + 7 * n}"},
                county.ips[1], "enumeration by lookups")) for i in range(80)]),
        Scenario("new IP + unusual dataset", at(17), province.cid, ("unusual_dataset", "new_client_ip"), [
            (20.0 * i, lambda run: run.rows(province, TREASURY, {"purpose": "case-verification", "limit": 200},
                                            "198.51.100.23", "new IP + unusual dataset")) for i in range(3)]),
    ]


# --- running and judging ----------------------------------------------------------------


def play(run: Run, partners: dict[str, Partner], events: list[tuple[datetime, str, int]],
         attacks: list[Scenario]) -> None:
    """Send everything in simulated-time order."""
    timeline: list[tuple[datetime, int, Callable[[], Any]]] = []
    for i, (t, name, seed) in enumerate(events):
        p = partners[name]

        def normal(p: Partner = p, seed: int = seed) -> None:
            rng = random.Random(seed)
            dataset, params = p.request(rng)
            run.rows(p, dataset, params, rng.choice(p.ips), "normal")

        timeline.append((t, i, normal))
    for scenario in attacks:
        for offset, action in scenario.steps:
            timeline.append((scenario.at + timedelta(seconds=offset), len(timeline),
                             lambda action=action: action(run)))
    for t, _, action in sorted(timeline, key=lambda e: (e[0], e[1])):
        run.clock.at(t)
        action()


def caught_up(world: World, timeout_s: float = 300.0) -> None:
    """Wait until the detector thread has observed every record (it runs every 0.5 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with world.store.session() as session:
            head = session.query(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1).scalar() or 0
            state = session.get(AwarenessState, "cursor")
            cursor = int(state.value.get("seq", 0)) if state else 0
        if cursor >= head:
            time.sleep(1.0)  # the records of its own alerts were appended during the last pass
            with world.store.session() as session:
                state = session.get(AwarenessState, "cursor")
                head = session.query(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1).scalar() or 0
                if state and int(state.value.get("seq", 0)) >= head:
                    return
        time.sleep(0.2)
    raise RuntimeError("the detector thread did not catch up")


def alerts_since(world: World, first_seq: int) -> list[dict[str, Any]]:
    """Alerts raised on records after ``first_seq``, each with its detecting record's time and request."""
    out = []
    with world.store.session() as session:
        for a in session.query(Alert).order_by(Alert.created_at):
            if a.detected_seq is None or a.detected_seq <= first_seq:
                continue
            record = session.get(AuditRecord, a.detected_seq)
            out.append({"id": a.id, "kind": a.kind, "severity": a.severity, "subject": a.subject,
                        "title": a.title, "created_at": a.created_at.timestamp(),
                        "ts": datetime.fromisoformat(record.ts) if record else None,
                        "request_id": record.request_id if record else None, "actions": list(a.actions)})
    return out


def resolve_all(run: Run, world: World) -> int:
    """Officers triage: every open alert resolved with a signed statement, through the API."""
    officer = world.clients["sec-1"]
    assertion = client_assertion(officer.key, officer.client_id, f"{run.base}/oauth/token", kid=officer.kid)
    token = run.http.post("/oauth/token", data={"grant_type": "client_credentials",
                                                "client_assertion_type": ASSERTION_TYPE,
                                                "client_assertion": assertion}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    listed = run.http.get("/v1/alerts", params={"state": "open", "limit": 1000}, headers=headers).json()["alerts"]
    for alert in listed:
        statement = world.desk.sign("sec-1", "resolve", f"alert:{alert['id']}", alert["terms"],
                                    note="triaged before the attack day (bench)", now=datetime.now(UTC))
        r = run.http.post(f"/v1/alerts/{alert['id']}/resolve", json={"statement": statement}, headers=headers)
        r.raise_for_status()
    return len(listed)


def judge(attacks: list[Scenario], alerts: list[dict[str, Any]], sent: list[Sent]) -> tuple[list[dict], list[dict]]:
    """Attribute alerts to scenarios; the rest are false alerts."""
    wall = {s.request_id: s.wall for s in sent if s.request_id}
    results, used = [], set()
    for sc in attacks:
        found = [a for a in alerts if a["kind"] in sc.kinds and a["subject"] == sc.subject and a["ts"] is not None
                 and sc.at <= a["ts"] <= sc.end + timedelta(minutes=5)]
        found.sort(key=lambda a: a["ts"])
        row: dict[str, Any] = {"scenario": sc.name, "detected": bool(found)}
        if found:
            first = found[0]
            used.update(a["id"] for a in found)
            record_s = (first["ts"] - sc.at).total_seconds()
            lag_s = max(0.0, first["created_at"] - wall.get(first["request_id"], first["created_at"]))
            row.update(alert=f"{first['kind']} ({first['severity']})", record_s=record_s, lag_s=lag_s,
                       total_s=record_s + lag_s, met=record_s + lag_s <= TARGET_S,
                       also=", ".join(f"{a['kind']}" for a in found[1:]))
        results.append(row)
    false = [a for a in alerts if a["id"] not in used]
    return results, false


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, default=Path("/tmp/bench/awareness/hub"),
                        help="a HUB_HOME after `hub run` (made here at --scale if absent)")
    parser.add_argument("--scale", type=int, default=20000)
    parser.add_argument("--days", type=int, default=14, help="simulated days of normal traffic before the attacks")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    prepare(args.home, args.scale)
    work = Path(tempfile.mkdtemp(prefix="hub-awareness-"))
    # simulated time starts the midnight (UTC+8) after the home's last record, so it never goes back
    latest = max(latest_ts(args.home), datetime.now(UTC))
    start = (latest.astimezone(CST) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0).astimezone(UTC)
    clock = SimClock(latest + timedelta(seconds=1))
    set_clock(clock)
    try:
        world, partners = setup(args.home, work)
        served = Served(world, free_port())
        http = httpx.Client(base_url=served.base, timeout=60)
        run = Run(http, clock, served.base)
        events = normal_events(partners, start, args.days, args.seed)
        attack_day = start + timedelta(days=args.days)
        attacks = scenarios(partners, attack_day)
        before = [e for e in events if e[0] < attack_day]
        during = [e for e in events if e[0] >= attack_day]
        began = time.perf_counter()
        with world.store.session() as session:
            first_seq = session.query(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1).scalar() or 0
        play(run, partners, before, [])
        caught_up(world)
        learning = alerts_since(world, first_seq)
        resolved = resolve_all(run, world)
        with world.store.session() as session:
            attack_first = session.query(AuditRecord.seq).order_by(AuditRecord.seq.desc()).limit(1).scalar() or 0
        play(run, partners, during, attacks)
        caught_up(world)
        elapsed = time.perf_counter() - began
        results, false_attack_day = judge(attacks, alerts_since(world, attack_first), run.sent)
        report(args, run, learning, resolved, results, false_attack_day, elapsed)
        served.stop()
        http.close()
        world.close()
    finally:
        set_clock(None)
        shutil.rmtree(work, ignore_errors=True)


def report(args: argparse.Namespace, run: Run, learning: list[dict[str, Any]], resolved: int,
           results: list[dict[str, Any]], false_attack_day: list[dict[str, Any]], elapsed: float) -> None:
    normal = [s for s in run.sent if s.label == "normal" and not s.who.startswith("ip:")]
    normal_data = len(normal)
    denied = sum(1 for s in normal if s.status == 403)
    false = learning + false_attack_day
    print(f"\nsimulated {args.days} days + the attack day: {normal_data:,} normal requests from 4 partners "
          f"({denied} denied), {len(run.sent) - normal_data:,} attack requests; {elapsed:,.0f} s real time "
          f"({len(run.sent) / elapsed:,.0f} requests/s through the served hub)")
    print(f"\n| scenario | detected | alert | record time to detection (s) | detector lag (s) | total (s) "
          f"| ≤ {TARGET_S:.0f} s |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        if r["detected"]:
            also = f"; also {r['also']}" if r["also"] else ""
            print(f"| {r['scenario']} | yes | {r['alert']}{also} | {r['record_s']:.1f} | {r['lag_s']:.2f} | "
                  f"{r['total_s']:.1f} | {'met' if r['met'] else 'MISSED'} |")
        else:
            print(f"| {r['scenario']} | NO | — | — | — | — | MISSED |")
    rate = len(false) / normal_data * 10_000 if normal_data else 0.0
    print(f"\nfalse alerts: {len(false)} ({len(learning)} in the {args.days} normal days, resolved by officers "
          f"before the attacks ({resolved} resolved); {len(false_attack_day)} on the attack day) = "
          f"{rate:.2f} per 10,000 normal requests (target ≤ 1: {'met' if rate <= 1 else 'MISSED'})")
    for a in false:
        print(f"  false: {a['kind']} ({a['severity']}) {a['subject']}: {a['title']}")


if __name__ == "__main__":
    main()
