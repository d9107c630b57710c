"""Query filters and pages; tail; the CLI tail."""

from __future__ import annotations

import json

import pytest

from hub.audit.query import query, tail
from hub.errors import BadRequest
from tests.audit.conftest import AuditEnv, cli, event


@pytest.fixture
def mixed(audit_env: AuditEnv) -> AuditEnv:
    for i in range(6):
        audit_env.log.append(event(i, subject=f"partner:p{i % 2}", decision="allow" if i % 3 else "deny"))
    audit_env.log.append(event(9, event="grant.created", subject="officer:o1", dataset=None))
    return audit_env


def test_filters(mixed: AuditEnv) -> None:
    assert [r.seq for r in query(mixed.store, subject="partner:p0")] == [1, 3, 5]
    assert [r.seq for r in query(mixed.store, subject="partner:p0", decision="deny")] == [1]
    assert [r.seq for r in query(mixed.store, event="grant.created")] == [7]
    assert [r.seq for r in query(mixed.store, dataset="finance.subsidy_payment")] == [1, 2, 3, 4, 5, 6]


def test_pages_and_time_range(mixed: AuditEnv) -> None:
    first = query(mixed.store, limit=3)
    rest = query(mixed.store, after_seq=first[-1].seq, limit=3)
    assert [r.seq for r in first + rest] == [1, 2, 3, 4, 5, 6]
    assert query(mixed.store, since="2999-01-01") == []
    assert len(query(mixed.store, until="2999-01-01T00:00:00+08:00")) == 7


def test_bad_arguments_name_the_argument(mixed: AuditEnv) -> None:
    with pytest.raises(BadRequest, match="`since`"):
        query(mixed.store, since="yesterday")
    with pytest.raises(BadRequest, match="`limit`"):
        query(mixed.store, limit=0)


def test_tail_and_cli_tail(mixed: AuditEnv) -> None:
    assert [r.seq for r in tail(mixed.store, 2)] == [6, 7]
    result = cli("tail", "-n", "2", "--json")
    assert result.exit_code == 0, result.output
    assert [record["seq"] for record in json.loads(result.output)] == [6, 7]  # one JSON document
