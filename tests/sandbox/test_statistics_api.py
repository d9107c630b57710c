"""The sandbox statistics API: the README contract, opaque tokens, deterministic injected faults.

Every test talks HTTP to the real app under uvicorn (``serve_in_background``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.sandbox.statistics_api import serve_in_background

ITEMS = [
    {
        "region_code": "330106",
        "period": f"2026-{m:02d}",
        "indicator_code": "GDP",
        "value": m * 1.5,
        "unit": "万元",
        "reported_at": f"2026-{m:02d}-10T09:00:00",
    }
    for m in range(1, 13)
]


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    (tmp_path / "statistics").mkdir()
    lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in ITEMS)
    (tmp_path / "statistics" / "indicators.jsonl").write_text(lines, encoding="utf-8")
    return tmp_path


def _all(client: httpx.Client, **params: object) -> list[dict[str, object]]:
    items, token = [], None
    while True:
        query = {**params, **({"page_token": token} if token else {})}
        body = client.get("/api/v1/indicators", params=query).json()
        items += body["items"]
        token = body["next_page_token"]
        if token is None:
            return items


@pytest.fixture
def client(sandbox: Path) -> Iterator[httpx.Client]:
    with serve_in_background(sandbox) as url, httpx.Client(base_url=url) as http:
        yield http


def test_pages_in_file_order(client: httpx.Client) -> None:
    first = client.get("/api/v1/indicators", params={"page_size": 5}).json()
    assert first["items"] == ITEMS[:5] and isinstance(first["next_page_token"], str)
    assert _all(client, page_size=5) == ITEMS


def test_updated_since_filters_and_binds_its_tokens(client: httpx.Client) -> None:
    since = "2026-10-10T01:00:00+00:00"  # = 09:00 in Asia/Shanghai
    assert _all(client, page_size=1, updated_since=since) == ITEMS[9:]
    token = client.get("/api/v1/indicators", params={"page_size": 1}).json()["next_page_token"]
    other = client.get("/api/v1/indicators", params={"page_token": token, "updated_since": since})
    assert other.status_code == 400 and "another query" in other.json()["detail"]
    bogus = client.get("/api/v1/indicators", params={"page_token": "not-a-token"})
    assert bogus.status_code == 400 and bogus.headers["content-type"] == "application/problem+json"


def test_injected_faults_are_a_seeded_fraction(sandbox: Path) -> None:
    def statuses(seed: int) -> list[int]:
        with (
            serve_in_background(sandbox, fail_rate=0.2, seed=seed) as url,
            httpx.Client(base_url=url) as http,
        ):
            return [http.get("/api/v1/indicators").status_code for _ in range(200)]

    first = statuses(7)
    assert first == statuses(7)
    failures = [s for s in first if s != 200]
    assert set(failures) == {429, 503} and 20 <= len(failures) <= 60


def test_serves_in_background_and_stops(sandbox: Path) -> None:
    with serve_in_background(sandbox) as url:
        assert httpx.get(f"{url}/api/v1/indicators", params={"page_size": 2}).json()["items"] == ITEMS[:2]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz", timeout=1)
