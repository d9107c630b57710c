"""Detectors over the audit stream (态势感知): each record is observed once, in seq order.

What they watch, per subject (a partner or an officer) unless said otherwise:

- ``volume_spike``: requests or rows delivered in the last hour far above the subject's
  own baseline — ``factor x (median + 3 sigma)`` of its active hours over
  ``baseline_days`` (median and MAD: a few extreme hours move neither), never below the
  floors; a subject with too little history is held to the new-partner floors;
- ``off_hours``: a read of a level ≥ 3 dataset outside the hours (UTC+8) in which the
  subject usually reads such data (learnt from its history, ±1 hour; the configured work
  hours until it has enough), high once an hour's off-hours rows make it a bulk read;
- ``denial_burst``: many denied data requests in a short window (probing);
- ``credential_failures``: many refused credentials from one client IP, or for one
  client (credential stuffing), a locked-down client's refusals not counted;
- ``enumeration``: many distinct lookup values (filters, ``match``; fingerprinted, see
  ``hub.exchange.fingerprints``) against one dataset in a short window;
- ``unusual_dataset``: a dataset the subject never read before, once it has
  ``novelty_days`` of history (high for level ≥ 3 data or from a new client IP);
- ``new_client_ip``: a client IP the subject was never seen from, once it has history.

Window thresholds are crossed at ``threshold`` (high) and ``critical_factor x threshold``
(critical).  ``observe(warm=True)`` only refills the windows (after a restart, from the
records before the cursor): it neither counts history again nor finds anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.awareness.alerts import Finding
from hub.awareness.history import History
from hub.awareness.observations import Observation
from hub.awareness.thresholds import Thresholds
from hub.awareness.windows import Window
from hub.events import DATA_DECISION, DATA_DELIVERY, TOKEN_ISSUED, TOKEN_REJECTED

SENSITIVE_LEVEL = 3
IGNORED_TOKEN_REASONS = frozenset({"suspended"})  # a locked-down client being refused is no attack
DAY_S = 86400.0
TRAFFIC = frozenset({DATA_DECISION, DATA_DELIVERY, TOKEN_ISSUED})


class StreamDetectors:
    """The stream detectors and their sliding windows."""

    def __init__(self, thresholds: Thresholds, history: History, level_of: Callable[[str], int]) -> None:
        self.t = thresholds
        self.history = history
        self.level_of = level_of
        self.requests = Window(3600)
        self.rows = Window(3600)
        self.denials = Window(thresholds.denial_window_s)
        self.credentials = Window(thresholds.credential_window_s)
        self.lookups = Window(thresholds.enumeration_window_s)
        self.offhours = Window(3600)

    def observe(self, obs: Observation, warm: bool = False) -> list[Finding]:
        """Feed one record; return what it makes visible (nothing when ``warm``)."""
        if obs.event == TOKEN_REJECTED:
            return self._token_failure(obs, warm)
        if not obs.partner_or_officer or obs.event not in TRAFFIC:
            return []
        found: list[Finding] = []
        if not warm:  # history starts with the first request, not with the registration
            self.history.since(str(obs.subject), obs.ts)
        if obs.event == DATA_DECISION:
            found = self._decision(obs, warm)
        elif obs.event == DATA_DELIVERY:
            found = self._delivery(obs, warm)
        elif obs.event == TOKEN_ISSUED and not warm:
            found = self._new_ip(obs)
        return [] if warm else found

    # --- data decisions -----------------------------------------------------------------

    def _decision(self, obs: Observation, warm: bool) -> list[Finding]:
        subject = str(obs.subject)
        denied = obs.decision == "deny"
        if not warm:
            self.history.count(subject, obs.at, requests=1, denials=int(denied))
        self.requests.add(subject, obs.epoch, obs.seq)
        found = self._volume(obs, "requests", warm)
        if denied:
            self.denials.add(subject, obs.epoch, obs.seq)
            found += self._burst(obs, "denial_burst", subject, self.denials, self.t.denial_burst,
                                 f"{subject}: {{n}} denied data requests within {self.t.denial_window_s} s (probing)")
        found += self._lookups(obs)
        if not warm:
            found += self._new_ip(obs)
        return found

    def _lookups(self, obs: Observation) -> list[Finding]:
        values = obs.details.get("lookups")
        if not isinstance(values, list) or not values or not obs.dataset:
            return []
        key = f"{obs.subject}|{obs.dataset}"
        for value in values[:100]:
            self.lookups.add(key, obs.epoch, obs.seq, value=str(value))
        distinct = self.lookups.distinct(key)
        severity = self.t.severity(distinct, self.t.enumeration_distinct)
        if severity is None:
            return []
        return [Finding("enumeration", severity, obs.subject, obs.dataset, obs.ts, _unique(self.lookups.seqs(key)),
                        f"{obs.subject}: {distinct} distinct lookup values on `{obs.dataset}` within "
                        f"{self.t.enumeration_window_s} s (enumeration)",
                        {"distinct_values": distinct, "threshold": self.t.enumeration_distinct}, obs.seq)]

    # --- deliveries -----------------------------------------------------------------------

    def _delivery(self, obs: Observation, warm: bool) -> list[Finding]:
        subject, rows = str(obs.subject), int(obs.rows or 0)
        level = self.level_of(obs.dataset) if obs.dataset else 0
        sensitive = level >= SENSITIVE_LEVEL
        if not warm:
            self.history.count(subject, obs.at, rows=rows, sensitive=int(sensitive))
        self.rows.add(subject, obs.epoch, obs.seq, amount=rows)
        found = self._volume(obs, "rows", warm)
        if sensitive:
            found += self._off_hours(obs, rows, level, warm)
        if obs.dataset and not warm:
            found += self._unusual_dataset(obs, level)
        return found

    def _volume(self, obs: Observation, metric: str, warm: bool) -> list[Finding]:
        if warm:
            return []
        subject = str(obs.subject)
        window = self.requests if metric == "requests" else self.rows
        value = window.count(subject) if metric == "requests" else window.total(subject)
        base = self.history.baseline(subject, metric, obs.at, self.t.baseline_days)
        floor = self.t.volume_min_requests if metric == "requests" else self.t.volume_min_rows
        if base.hours < self.t.baseline_min_hours:
            threshold = float(self.t.new_partner_requests if metric == "requests" else self.t.new_partner_rows)
            basis = f"new partner floor {threshold:,.0f} (only {base.hours} active hours of history)"
        else:
            threshold = max(float(floor), self.t.volume_factor * base.high)
            basis = (f"usual ≤ {base.high:,.0f}/hour (median {base.median:,.0f} over {base.hours} active hours), "
                     f"threshold {threshold:,.0f}")
        severity = self.t.severity(value, threshold)
        if severity is None:
            return []
        return [Finding("volume_spike", severity, subject, None, obs.ts, window.seqs(subject),
                        f"{subject}: {value:,.0f} {metric} in the last hour; {basis}",
                        {f"{metric}_last_hour": value, f"{metric}_threshold": round(threshold, 1),
                         "median": base.median, "sigma": round(base.sigma, 1), "history_hours": base.hours},
                        obs.seq)]

    def _usual_hours(self, subject: str) -> frozenset[int]:
        seen = self.history.seen(subject, "hour")
        total = sum(s.count for s in seen.values())
        if total < self.t.offhours_min_reads:
            return self.t.work_hours
        # an hour is usual once the subject read sensitive data in it on more than one day, so one
        # night of off-hours reads does not make that night usual
        learnt = {int(h) for h, s in seen.items()
                  if s.count >= max(3, 0.01 * total) and s.first_seen[:10] != s.last_seen[:10]}
        if not learnt:  # no hour seen on two days yet: the configured work hours still apply
            return self.t.work_hours
        return frozenset((h + d) % 24 for h in learnt for d in (-1, 0, 1))

    def _off_hours(self, obs: Observation, rows: int, level: int, warm: bool) -> list[Finding]:
        subject, hour = str(obs.subject), obs.local_hour
        usual = self._usual_hours(subject)
        if not warm:
            self.history.note(subject, "hour", f"{hour:02d}", obs.ts)
        if hour in usual:
            return []
        key = f"{subject}|{obs.dataset}"
        self.offhours.add(key, obs.epoch, obs.seq, amount=rows)
        rows_hour = self.offhours.total(key)
        severity = self.t.severity(rows_hour, self.t.bulk_rows) or "warning"
        return [Finding("off_hours", severity, subject, obs.dataset, obs.ts, self.offhours.seqs(key),
                        f"{subject}: read level-{level} `{obs.dataset}` at {hour:02d}h (UTC+8), outside its usual "
                        f"hours; {rows_hour:,.0f} rows in the last hour",
                        {"hour": hour, "usual_hours": sorted(usual), "rows_last_hour": rows_hour, "level": level},
                        obs.seq)]

    def _established(self, subject: str, obs: Observation) -> bool:
        since = self.history.since(subject, obs.ts)
        return (obs.epoch - _epoch(since)) >= self.t.novelty_days * DAY_S

    def _unusual_dataset(self, obs: Observation, level: int) -> list[Finding]:
        subject, dataset = str(obs.subject), str(obs.dataset)
        established = self._established(subject, obs)
        if self.history.note(subject, "dataset", dataset, obs.ts) is not None or not established:
            return []
        ip_seen = self.history.seen(subject, "ip").get(obs.client_ip or "")
        new_ip = ip_seen is not None and obs.epoch - _epoch(ip_seen.first_seen) < DAY_S
        severity = "high" if level >= SENSITIVE_LEVEL or new_ip else "warning"
        via = f" from new client IP {obs.client_ip}" if new_ip else ""
        return [Finding("unusual_dataset", severity, subject, dataset, obs.ts, [obs.seq],
                        f"{subject}: read `{dataset}` (level {level}) for the first time{via}",
                        {"level": level, "client_ip": obs.client_ip, "new_ip": new_ip}, obs.seq)]

    def _new_ip(self, obs: Observation) -> list[Finding]:
        subject, ip = str(obs.subject), obs.client_ip
        if not ip:
            return []
        established = self._established(subject, obs)
        if self.history.note(subject, "ip", ip, obs.ts) is not None or not established:
            return []
        return [Finding("new_client_ip", "warning", subject, None, obs.ts, [obs.seq],
                        f"{subject}: first request from client IP {ip}", {"ip": ip}, obs.seq)]

    # --- credentials and bursts ----------------------------------------------------------

    def _token_failure(self, obs: Observation, warm: bool) -> list[Finding]:
        if obs.reasons and obs.reasons[0] in IGNORED_TOKEN_REASONS:
            return []
        keys = [f"ip:{obs.client_ip}"] if obs.client_ip else []
        if obs.subject:
            keys.append(str(obs.subject))
        found: list[Finding] = []
        for key in keys:
            self.credentials.add(key, obs.epoch, obs.seq)
            found += self._burst(obs, "credential_failures", key, self.credentials, self.t.credential_failures,
                                 f"{key}: {{n}} refused credentials within {self.t.credential_window_s} s "
                                 "(credential stuffing)")
        return [] if warm else found

    def _burst(self, obs: Observation, kind: str, key: str, window: Window, threshold: int,
               title: str) -> list[Finding]:
        n = window.count(key)
        severity = self.t.severity(n, threshold)
        if severity is None:
            return []
        return [Finding(kind, severity, key, None, obs.ts, window.seqs(key), title.format(n=n),
                        {"count": n, "threshold": threshold}, obs.seq)]


def _unique(seqs: list[int]) -> list[int]:
    return sorted(set(seqs))


def _epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()
