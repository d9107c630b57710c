"""The partner client against a real served hub: paging under faults, tokens, formats, receipts."""

from __future__ import annotations

import ast
import base64
import json
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.client import HubClient, ReceiptError, Retry
from tests.api.exchange_world import SUBSIDY
from tests.client.conftest import ROWS, ServedHub

PURPOSE = "case-verification"


class Recorder(httpx.HTTPTransport):
    """Records (path, token, status) of every request the client sends (a real transport underneath)."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str | None, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        auth = request.headers.get("authorization")
        self.log.append((request.url.path, auth.split()[-1] if auth else None, response.status_code))
        return response


def _client(hub: ServedHub, **kw: Any) -> HubClient:
    kw.setdefault("retry", Retry(sleep=lambda s: None))
    return HubClient(hub.base, hub.credentials(), **kw)


def test_pages_100000_rows_across_cursors_under_injected_503s_and_429s(hub: ServedHub):
    def rule(path: str, n: int) -> int | None:
        if path == "/oauth/token":
            return 503 if n == 1 else None
        if path.startswith("/v1/datasets/"):
            return 503 if n % 3 == 2 else 429 if n % 5 == 0 else None
        return None

    hub.faults.reset(rule)
    retry = Retry(sleep=lambda s: None)
    with _client(hub, retry=retry) as client:
        ids = [row["payment_id"] for row in client.rows(SUBSIDY, PURPOSE, limit=10_000)]
    assert len(ids) == ROWS and len(set(ids)) == ROWS  # nothing lost, nothing repeated
    assert set(ids) == hub.world.ids  # type: ignore[attr-defined]
    injected = hub.faults.injected
    assert {s for _, s in injected} == {503, 429} and len(injected) >= 6
    assert retry.waits.count(2.0) == len(injected)  # each retry waited the Retry-After the answer named


def test_arrow_table_of_100000_rows_under_faults(hub: ServedHub):
    hub.faults.reset(lambda path, n: 503 if path.startswith("/v1/datasets/") and n % 4 == 1 else None)
    with _client(hub) as client:
        table = client.table(SUBSIDY, PURPOSE, format="arrow", limit=25_000, columns=["payment_id", "amount"])
    ids = table.column("payment_id").to_pylist()
    assert table.num_rows == ROWS and set(ids) == hub.world.ids  # type: ignore[attr-defined]
    assert len(hub.faults.injected) == 2  # requests 1 and 5 of 6 (4 pages)


def test_every_format_carries_the_same_rows(hub: ServedHub):
    hub.faults.reset()
    columns = ["payment_id", "township_code", "amount"]
    with _client(hub) as client:
        pages = {fmt: client.page(SUBSIDY, PURPOSE, format=fmt, limit=300, columns=columns, order_by="payment_id")
                 for fmt in ("json", "ndjson", "csv", "parquet", "arrow")}
        streamed = []
        for row in client.rows(SUBSIDY, PURPOSE, limit=300, columns=columns, order_by="payment_id"):
            streamed.append(row)
            if len(streamed) == 300:
                break
    expected = [r["payment_id"] for r in pages["json"].rows()]
    assert len(expected) == 300
    assert [r["payment_id"] for r in pages["ndjson"].rows()] == expected
    assert [int(r["payment_id"]) for r in pages["csv"].rows()] == expected
    for fmt in ("parquet", "arrow"):
        assert pages[fmt].table().column("payment_id").to_pylist() == expected
    assert [r["payment_id"] for r in streamed] == expected
    assert all(p.next_cursor for p in pages.values())  # each format names the next page


def test_a_token_is_renewed_before_it_expires_without_a_failed_request(hub: ServedHub):
    hub.faults.reset()
    now = [1000.0]
    recorder = Recorder()
    with _client(hub, clock=lambda: now[0], transport=recorder) as client:
        for _ in range(8):
            client.page(SUBSIDY, PURPOSE, limit=10)
            now[0] += 200.0  # the injected clock: 200 s between requests, tokens live 600 s
        lifetime = client.tokens.current.expires_in if client.tokens.current else 0
    data = [(token, status) for path, token, status in recorder.log if path.startswith("/v1/datasets/")]
    assert lifetime == 600 and all(status == 200 for _, status in data) and client.unauthorized == 0
    tokens = [t for t, _ in data]
    assert len(set(tokens)) == client.tokens.fetched >= 3  # renewed, more than once
    used_from = {t: tokens.index(t) for t in set(tokens)}
    for token in set(tokens):  # each token served requests only inside its lifetime less the margin
        span = tokens.count(token)
        assert tokens[used_from[token]:used_from[token] + span] == [token] * span
        assert (span - 1) * 200.0 < 600 - 120  # last use before renew_at (a fifth of 600 s ahead)
    assert sum(1 for p, _, _ in recorder.log if p == "/oauth/token") == client.tokens.fetched


def _tamper_claims(jws: str, **changes: Any) -> str:
    head, claims, sig = jws.split(".")
    body = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    body.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return f"{head}.{forged}.{sig}"


def test_a_tampered_receipt_fails_verification(hub: ServedHub):
    hub.faults.reset()
    with _client(hub, verify_receipts=False) as client:
        page = client.page(SUBSIDY, PURPOSE, limit=50)
        assert page.receipt
        good = client.verify(page)
        assert good.rows == 50 and good.dataset == SUBSIDY and good.request_id == page.request_id
        with pytest.raises(ReceiptError, match="does not verify"):
            client.verify_receipt(_tamper_claims(page.receipt, rows=5000))
        with pytest.raises(ReceiptError, match="not the body"):
            client.verify_receipt(page.receipt, page.body.replace(b"330", b"331", 1))
        head, rest = page.receipt.split(".", 1)
        other = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
        other["kid"] = "audit-unknown"
        forged = base64.urlsafe_b64encode(json.dumps(other).encode()).rstrip(b"=").decode() + "." + rest
        with pytest.raises(ReceiptError, match="does not publish"):
            client.verify_receipt(forged)


def test_hub_client_verify_receipt_command(hub: ServedHub, tmp_path: Path):
    from typer.testing import CliRunner

    from hub.cli import app

    hub.faults.reset()
    with _client(hub) as client:
        page = client.page(SUBSIDY, PURPOSE, limit=20, format="csv")
    body = tmp_path / "page.csv"
    body.write_bytes(page.body)
    assert page.receipt
    ok = CliRunner().invoke(app, ["client", "verify-receipt", page.receipt, "--body", str(body), "--url", hub.base])
    assert ok.exit_code == 0 and "receipt OK" in ok.stdout and "20 rows" in ok.stdout, ok.output
    body.write_bytes(page.body + b"\n")
    bad = CliRunner().invoke(app, ["client", "verify-receipt", page.receipt, "--body", str(body), "--url", hub.base])
    assert bad.exit_code == 1 and "not the body" in bad.output
    forged = _tamper_claims(page.receipt, rows=21)
    bad = CliRunner().invoke(app, ["client", "verify-receipt", forged, "--url", hub.base])
    assert bad.exit_code == 1 and "does not verify" in bad.output


def test_a_problem_answer_names_the_problem(hub: ServedHub):
    from hub.client import ProblemError

    hub.faults.reset()
    with _client(hub) as client, pytest.raises(ProblemError) as caught:
        client.page(SUBSIDY, PURPOSE, filters=["amount:gt:not-a-number"])
    assert caught.value.status == 400 and "amount" in str(caught.value)


def test_the_client_depends_only_on_httpx_pyjwt_and_cryptography():
    allowed = {"httpx", "jwt", "cryptography", "hub", "pyarrow", *sys.stdlib_module_names}
    folder = Path(__file__).parents[2] / "hub" / "client"
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                     else [])
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                if name.startswith("hub"):
                    assert name.startswith("hub.client"), f"{path.name} imports {name}: the client stands alone"
