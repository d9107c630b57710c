"""The tamper-evident audit log (DESIGN.md §5).

Records are hash-chained (``record``, ``canonical``), appended durably with group
commit (``log.AuditLog``), checkpointed with Ed25519 signatures (``checkpoints``),
turned into delivery receipts (``receipts``), verified (``verify``), exported
(``export``) and read (``query``).  ``docs/audit.md`` is the verification procedure
for third parties.
"""

from hub.audit.checkpoints import CheckpointPolicy, list_checkpoints
from hub.audit.errors import AuditInvalid, AuditUnavailable, EvidenceError
from hub.audit.export import export, verify_export
from hub.audit.log import AuditLog
from hub.audit.pubkeys import parse_public_keys, public_keys
from hub.audit.query import get_record, query, tail
from hub.audit.receipts import decode_receipt, encode_receipt, get_receipt, issue_receipt, verify_receipt
from hub.audit.record import GENESIS, AuditRecordView, record_hash
from hub.audit.verify import Problem, VerifyReport, verify_chain

__all__ = [
    "GENESIS", "AuditInvalid", "AuditLog", "AuditRecordView", "AuditUnavailable", "CheckpointPolicy",
    "EvidenceError", "Problem", "VerifyReport", "decode_receipt", "encode_receipt", "export",
    "get_receipt", "get_record", "issue_receipt", "list_checkpoints", "parse_public_keys",
    "public_keys", "query", "record_hash", "tail", "verify_chain", "verify_export", "verify_receipt",
]
