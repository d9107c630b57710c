"""The key inventory and its rotation: every key the hub holds, its age, and ``rotate``.

``inventory(settings)`` lists the signing keys (audit, token: ``hub.keys``), the
pseudonym and cursor secrets, the master key versions (``hub.kms``) and the data
keys (the warehouse key, one per published snapshot) with the master version that
wraps each; ``hub keys status`` prints it.  ``rotate(settings, which, audit)``
rotates the master key (a new version, then every data key re-wrapped: no data is
rewritten, readers keep working throughout because the old version stays) or a
signing key (the new key signs, the old ones keep verifying), and records a
``keys.rotated`` audit event before it returns.  The pseudonym and cursor secrets
are not rotated here: a new pseudonym secret would unlink every extract partners
hold from ``hub trace`` and from their own joins, and a new cursor secret would
break every page link in flight on every API replica until restarted.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub.errors import BadRequest
from hub.events import KEYS_ROTATED, AuditEvent
from hub.keys import PURPOSES, KeyStore
from hub.kms import data_keys, open_kms

if TYPE_CHECKING:
    from hub.audit import AuditLog
    from hub.settings import Settings

ROTATABLE = ("master", "audit", "token")
SECRETS = ("pseudonym", "cursor")


@dataclass(frozen=True)
class KeyRow:
    """One key as ``hub keys status`` shows it (never the key material)."""

    kind: str  # signing:audit | signing:token | secret:pseudonym | secret:cursor | master | data:…
    id: str
    algorithm: str
    created_at: datetime | None
    status: str  # current | retired | wrapped by master vN | …

    def age_days(self, now: datetime | None = None) -> float | None:
        if self.created_at is None:
            return None
        return round(((now or datetime.now(UTC)) - self.created_at).total_seconds() / 86400, 1)


def inventory(settings: Settings) -> list[KeyRow]:
    """Every key of the deployment, oldest first within each kind."""
    rows: list[KeyRow] = []
    store = KeyStore.from_settings(settings)
    for purpose in PURPOSES:
        keys = store.keys(purpose)
        current = [k for k in keys if k.alg == store.alg]
        signer = current[-1].kid if current else None
        rows += [KeyRow(f"signing:{purpose}", k.kid, k.alg, k.created_at,
                        "current" if k.kid == signer else "retired (verifies only)") for k in keys]
    for name in SECRETS:
        path = settings.keys_dir / f"{name}.secret"
        made = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.exists() else None
        rows.append(KeyRow(f"secret:{name}", name, "HMAC-SHA256", made, "current" if made else "not yet made"))
    kms = open_kms(settings)
    try:
        versions = kms.versions()
        now_version = kms.current().version if versions else None
        rows += [KeyRow("master", f"v{m.version}", f"{m.cipher} ({m.backend})", m.created_at,
                        "current" if m.version == now_version else "older (still unwraps)") for m in versions]
        for info in data_keys(settings, kms).infos():
            kind = "data:warehouse" if info.purpose == "warehouse" else "data:snapshot"
            label = info.purpose if info.purpose != "warehouse" else info.id
            rows.append(KeyRow(kind, label, info.cipher, info.created_at, f"wrapped by master v{info.master_version}"))
    finally:
        kms.close()
    return rows


@dataclass(frozen=True)
class Rotation:
    which: str
    old: str | None
    new: str
    rewrapped: int


def rotate(settings: Settings, which: str, audit: AuditLog) -> Rotation:
    """Rotate the master key (and re-wrap every data key) or a signing key; audit it."""
    if which in SECRETS:
        raise BadRequest(f"the {which} secret is not rotated by `hub keys rotate` (see docs/security.md)",
                         key=which)
    if which not in ROTATABLE:
        raise BadRequest(f"unknown key `{which}`: rotate one of {', '.join(ROTATABLE)}", key=which)
    if which == "master":
        done = _rotate_master(settings)
    else:
        store = KeyStore.from_settings(settings)
        current = [k for k in store.keys(which) if k.alg == store.alg]
        done = Rotation(which, current[-1].kid if current else None, store.rotate(which).kid, 0)
    audit.append(AuditEvent(KEYS_ROTATED, subject=f"operator:{getpass.getuser()}", action="rotate",
                            decision="ok", details={"key": which, "old": done.old or "", "new": done.new,
                                                    "rewrapped": str(done.rewrapped)}))
    return done


def _rotate_master(settings: Settings) -> Rotation:
    kms = open_kms(settings)
    try:
        before = kms.current().version if kms.versions() else None
        new = kms.rotate()
        report = data_keys(settings, kms).rewrap_all()
    finally:
        kms.close()
    return Rotation("master", f"v{before}" if before else None, f"v{new.version}", report.rewrapped)
