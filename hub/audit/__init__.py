"""The tamper-evident audit log (DESIGN.md §5).

Records are hash-chained (``record``, ``canonical``), appended durably with group
commit (``log.AuditLog``), checkpointed with Ed25519 signatures (``checkpoints``),
turned into delivery receipts (``receipts``), verified (``verify``), exported
(``export``) and read (``query``).  ``docs/audit.md`` is the verification procedure
for third parties.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.audit.checkpoints import CheckpointPolicy, list_checkpoints
    from hub.audit.errors import AuditInvalid, AuditUnavailable, EvidenceError
    from hub.audit.export import verify_export
    from hub.audit.log import AuditLog
    from hub.audit.pubkeys import parse_public_keys, public_keys
    from hub.audit.query import get_record, tail
    from hub.audit.receipts import decode_receipt, encode_receipt, get_receipt, issue_receipt, verify_receipt
    from hub.audit.record import GENESIS, AuditRecordView, record_hash
    from hub.audit.verify import Problem, VerifyReport, verify_chain

# Imported when first asked for (PEP 562): a module that needs only ``hub.audit.canonical``
# (officer statements, every CLI command) does not pay for the verifier, Alembic and the
# exporter too.  The functions ``query`` and ``export`` are imported from their modules
# (``hub.audit.query``, ``hub.audit.export``): here the names are the modules.
_HOME = {name: f"hub.audit.{module}" for module, names in {
    "checkpoints": ("CheckpointPolicy", "list_checkpoints"),
    "errors": ("AuditInvalid", "AuditUnavailable", "EvidenceError"),
    "export": ("verify_export",),
    "log": ("AuditLog",),
    "pubkeys": ("parse_public_keys", "public_keys"),
    "query": ("get_record", "tail"),
    "receipts": ("decode_receipt", "encode_receipt", "get_receipt", "issue_receipt", "verify_receipt"),
    "record": ("GENESIS", "AuditRecordView", "record_hash"),
    "verify": ("Problem", "VerifyReport", "verify_chain"),
}.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'hub.audit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "GENESIS", "AuditInvalid", "AuditLog", "AuditRecordView", "AuditUnavailable", "CheckpointPolicy",
    "EvidenceError", "Problem", "VerifyReport", "decode_receipt", "encode_receipt",
    "get_receipt", "get_record", "issue_receipt", "list_checkpoints", "parse_public_keys",
    "public_keys", "record_hash", "tail", "verify_chain", "verify_export", "verify_receipt",
]
