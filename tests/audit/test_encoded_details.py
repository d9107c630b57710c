"""``EncodedDetails``: details encoded once give the very record the plain dict gives."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from hub.audit.errors import AuditInvalid
from hub.audit.record import EncodedDetails, Prepared
from hub.audit.verify import verify_chain
from hub.events import AuditEvent
from hub.store.models import AuditRecord
from tests.audit.conftest import AuditEnv

REPLAY = {"input": {"subject": {"id": "partner:p", "purposes": ["case-verification"], "clearance": 3,
                                "suspended": False, "role": None},
                    "request": {"purpose": "case-verification", "columns": ["名称", "amount"]}, "context": {}}}


def _event(details: dict[str, object]) -> AuditEvent:
    return AuditEvent("data.decision", subject="partner:p", action="read", request_id="r1", decision="allow",
                      dataset="finance.subsidy_payment", details=details)


def test_the_same_hash_input_and_stored_row_as_the_plain_dict() -> None:
    encoded, plain = Prepared.of(_event(EncodedDetails(REPLAY))), Prepared.of(_event(copy.deepcopy(REPLAY)))
    assert encoded.row == plain.row
    assert encoded.hash_at(b'"0"', 7, b'"t"') == plain.hash_at(b'"0"', 7, b'"t"')


def test_appended_records_verify_and_read_back(fast_env: AuditEnv) -> None:
    shared = EncodedDetails(REPLAY)
    records = fast_env.log.append_many([_event(shared), _event(shared)])
    assert [r.details for r in records] == [REPLAY, REPLAY]
    with fast_env.store.session() as session:
        stored = [r.details for r in session.scalars(select(AuditRecord).order_by(AuditRecord.seq))]
    assert stored == [REPLAY, REPLAY]
    report = verify_chain(fast_env.store, fast_env.keys)
    assert report.problems == [] and report.records == 2


def test_it_is_validated_when_made_and_read_only_after() -> None:
    with pytest.raises(AuditInvalid, match="details.input.bad"):
        EncodedDetails({"input": {"bad": "a\x00b"}})
    with pytest.raises(AuditInvalid, match="float"):
        EncodedDetails({"rate": 0.5})
    shared = EncodedDetails(REPLAY)
    with pytest.raises(TypeError):
        shared["input"] = {}
    assert copy.deepcopy(shared) == REPLAY and type(copy.deepcopy(shared)) is EncodedDetails
