"""Evidence bundles (证据包): one ZIP an investigator can verify without the hub.

It holds ``audit-export.jsonl`` (``hub.audit.export`` of the time range: a contiguous,
verifiable excerpt of the chain extended to the next checkpoint, with the signed
checkpoints and every audit public key), ``selected.jsonl`` (the records the officer
filtered for, e.g. one partner's deliveries of a day — each of them also in the
export, so its place in the chain is checked), ``jwks.json`` (the audit public keys),
``audit.md`` (the verification procedure: ``docs/audit.md``) and ``README.txt``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.audit.canonical import canonical_json
from hub.audit.export import export
from hub.audit.pubkeys import public_keys
from hub.audit.record import AuditRecordView
from hub.keys import KeyStore
from hub.store.db import Store

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def _procedure() -> str:
    """docs/audit.md, or where to find it when the hub runs from an installed wheel without docs/."""
    try:
        return DOC.read_text(encoding="utf-8")
    except OSError:
        return ("The verification procedure is docs/audit.md of the Huitong repository "
                "(this installation ships without docs/).\n")


def _readme(filters: dict[str, Any], made_at: datetime, officer: str, selected: int) -> str:
    lines = [
        "Huitong (汇通) audit evidence bundle / 审计证据包",
        f"made at {made_at.isoformat()} by {officer}",
        f"filters: {json.dumps(filters, ensure_ascii=False, sort_keys=True)}",
        f"selected records: {selected} (selected.jsonl; every one of them is also in audit-export.jsonl)",
        "",
        "audit-export.jsonl  huitong-audit-export/1: header, keys, signed checkpoints, records in seq order",
        "jwks.json           the hub's audit public keys (Ed25519, RFC 8037 JWKs)",
        "audit.md            how to verify: canonical JSON, record hashes, the chain, checkpoints, receipts",
        "",
        "Verify with the hub:   hub audit verify audit-export.jsonl",
        "Verify without it:     follow audit.md §4 over audit-export.jsonl with the keys in jwks.json",
    ]
    return "\n".join(lines) + "\n"


def bundle(store: Store, keys: KeyStore, *, since: str | None, until: str | None,
           selected: list[AuditRecordView], filters: dict[str, Any], officer: str, made_at: datetime) -> bytes:
    """The ZIP bytes of an evidence bundle for the records with ``since <= ts < until``."""
    excerpt = io.StringIO()
    summary = export(store, keys, excerpt, since=since, until=until)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("audit-export.jsonl", excerpt.getvalue())
        zf.writestr("selected.jsonl", "".join(canonical_json(r.as_dict()).decode() + "\n" for r in selected))
        zf.writestr("jwks.json", json.dumps({"keys": public_keys(keys)}, indent=2))
        zf.writestr("audit.md", _procedure())
        zf.writestr("README.txt", _readme({**filters, "export_records": summary.records}, made_at, officer,
                                          len(selected)))
    return out.getvalue()
