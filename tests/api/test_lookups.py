"""``match`` lookups over HTTP: exactly the rows of a clear value, only on lookup columns, audited by hash.

A partner whose grant lists ``recipient_id_number`` as a lookup column asks "are there
payments to this ID?" with ``filter=recipient_id_number:match:<ID>``.  The answer holds
exactly the rows (in its jurisdiction) whose ID normalises to that value, pseudonymised
with the partner's key as in its extracts; the audit log keeps the value's keyed hash,
never the value; every other operator on a masked column stays a 400 naming the column.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from hub.kms.parquet import snapshot_reader
from hub.pseudonym import load_secret, partner_key, pseudonym
from hub.store.models import AuditRecord, DatasetVersion
from tests.api.conftest import AsgiClient
from tests.api.exchange_world import SUBSIDY, SUBSIDY_CLEAR, World, _register, bearer, grant, subsidy_columns

ROWS = f"/v1/datasets/{SUBSIDY}/rows"
PURPOSE = {"purpose": "case-verification"}


@pytest.fixture(scope="module")
def verifier(world: World, http: AsgiClient) -> dict[str, str]:
    _register(world, "partner", "verifier", clearance=3, jurisdiction="330106", purposes=["case-verification"])
    grant(world, "verifier", SUBSIDY, "case-verification", subsidy_columns(world), SUBSIDY_CLEAR,
          lookup=("recipient_id_number",))
    return bearer(http, world.clients["verifier"])


@pytest.fixture(scope="module")
def snapshot_rows(world: World, http: AsgiClient, verifier: dict[str, str]) -> list[dict[str, Any]]:
    """The current snapshot's rows inside 330106, in ``_row_id`` order (read from the file, in clear)."""
    version = http.get(ROWS, params={**PURPOSE, "limit": 1}, headers=verifier).headers["X-Hub-Dataset-Version"]
    with world.store.session() as session:
        path = session.scalars(select(DatasetVersion.path).where(
            DatasetVersion.dataset_id == SUBSIDY, DatasetVersion.version == version)).one()
    rows = snapshot_reader(world.settings).read_table(path).sort_by("_row_id").to_pylist()  # sealed (issue 17)
    return [r for r in rows if str(r["township_code"] or "").startswith("330106")]


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["payment_id"] for r in response.json()["rows"]]


def test_match_returns_exactly_the_rows_of_the_value(world: World, http: AsgiClient, verifier: dict[str, str],
                                                     snapshot_rows: list[dict[str, Any]]) -> None:
    counts = Counter(r["recipient_id_number"].strip().upper() for r in snapshot_rows if r["recipient_id_number"])
    wanted, n = counts.most_common(1)[0]
    expected = [r["payment_id"] for r in snapshot_rows
                if r["recipient_id_number"] and r["recipient_id_number"].strip().upper() == wanted]
    assert len(expected) == n
    response = http.get(ROWS, params={**PURPOSE, "limit": 1000,
                                      "filter": f"recipient_id_number:match: {wanted.lower()} "}, headers=verifier)
    assert _ids(response) == expected
    key = partner_key(load_secret(world.settings.keys_dir), "partner:verifier")
    assert {r["recipient_id_number"] for r in response.json()["rows"]} == {pseudonym(key, wanted)}
    paged, params = [], {**PURPOSE, "limit": 1, "filter": f"recipient_id_number:match:{wanted}"}
    for _ in range(n + 1):  # paging a lookup walks the same rows
        page = http.get(ROWS, params=params, headers=verifier)
        paged += _ids(page)
        if "Link" not in page.headers:
            break
        params["cursor"] = page.headers["Link"].split("cursor=")[1].split(">")[0]
    assert paged == expected
    nobody = http.get(ROWS, params={**PURPOSE, "filter": "recipient_id_number:match:110105190001010000"},
                      headers=verifier)
    assert _ids(nobody) == []


def test_lookup_is_audited_by_keyed_hash_never_the_value(world: World, http: AsgiClient,
                                                        verifier: dict[str, str],
                                                        snapshot_rows: list[dict[str, Any]]) -> None:
    value = next(r["recipient_id_number"] for r in snapshot_rows if r["recipient_id_number"])
    response = http.get(ROWS, params={**PURPOSE, "filter": f"recipient_id_number:match:{value}"}, headers=verifier)
    assert response.status_code == 200
    request_id = response.headers["X-Hub-Request-Id"]
    with world.store.session() as session:
        records = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).all()
        mine = [r for r in records if r.request_id == request_id]
        assert [r.event for r in mine] == ["data.decision", "data.delivery"]
        assert mine[1].seq == mine[0].seq + 1 and mine[1].ts == mine[0].ts  # one audit batch
        key = partner_key(load_secret(world.settings.keys_dir), "partner:verifier")
        assert mine[1].details["lookups"] == [{"column": "recipient_id_number",
                                               "keyed_hash": pseudonym(key, value)}]
        for record in records:  # the whole chain: the clear value appears nowhere
            text = json.dumps({c: getattr(record, c) for c in ("reasons", "details", "purpose", "subject")},
                              ensure_ascii=False)
            assert value.strip().upper() not in text.upper()


def test_match_only_on_the_grants_lookup_columns(http: AsgiClient, auth: dict[str, dict[str, str]],
                                                 verifier: dict[str, str]) -> None:
    county = auth["hz-xihu-jw"]  # its grant lists no lookup column
    response = http.get(ROWS, params={**PURPOSE, "filter": "recipient_id_number:match:330106198001010011"},
                        headers=county)
    assert response.status_code == 400 and "`recipient_id_number`" in response.json()["detail"]
    response = http.get(ROWS, params={**PURPOSE, "filter": "recipient_phone:match:13800000000"}, headers=verifier)
    assert response.status_code == 400 and "`recipient_phone`" in response.json()["detail"]


@pytest.mark.parametrize("column", ["recipient_id_number", "recipient_phone", "bank_card"])
@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge", "in", "prefix"])
def test_every_other_operator_on_a_masked_column_is_400_naming_it(http: AsgiClient, verifier: dict[str, str],
                                                                   column: str, op: str) -> None:
    response = http.get(ROWS, params={**PURPOSE, "filter": f"{column}:{op}:3301"}, headers=verifier)
    assert response.status_code == 400, response.text
    assert f"`{column}`" in response.json()["detail"]


@pytest.mark.parametrize("order", ["recipient_id_number", "-recipient_id_number", "recipient_phone"])
def test_ordering_on_a_masked_column_is_400_naming_it(http: AsgiClient, verifier: dict[str, str],
                                                      order: str) -> None:
    response = http.get(ROWS, params={**PURPOSE, "order_by": order}, headers=verifier)
    assert response.status_code == 400 and f"`{order.lstrip('-')}`" in response.json()["detail"]
