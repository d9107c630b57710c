"""The rest kind through the statistics profile, against the real sandbox API under uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors import SourceUnavailable
from connectors.profiles import statistics
from hub.sandbox.statistics_api import serve_in_background
from hub.settings import Settings
from hub.store import Store
from hub.warehouse import ingest_resource
from tests.connectors.conftest import query

TABLE = "raw_statistics.indicators"
FAST = {"page_size": 7, "backoff_base_s": 0.001, "backoff_cap_s": 0.01}


def _items(n: int) -> list[dict[str, Any]]:
    return [
        {
            "region_code": f"33{i % 50:04d}",
            "period": f"2026-{i // 50 % 12 + 1:02d}",
            "indicator_code": "GDP",
            "value": round(i * 1.25, 2),
            "unit": "万元",
            "reported_at": f"2026-04-01T08:{i % 60:02d}:00+08:00",
        }
        for i in range(n)
    ]


def _write(sandbox: Path, items: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items)
    (sandbox / "statistics" / "indicators.jsonl").write_text(lines, encoding="utf-8")


def test_flaky_api_loses_and_duplicates_nothing(sandbox: Path, settings: Settings, store: Store) -> None:
    items = _items(300)
    _write(sandbox, items)
    with serve_in_background(sandbox, fail_rate=0.2, seed=3) as url:
        source = statistics.build({"base_url": url, **FAST})
        first = ingest_resource(settings.warehouse_path, source, "indicators", store, "r1")
        assert first.rows_read == first.inserted == 300 and first.quarantined == 0
        rows = query(settings, f"SELECT region_code, period, indicator_code, value::DOUBLE FROM {TABLE}")
        assert sorted(rows) == sorted((i["region_code"], i["period"], "GDP", i["value"]) for i in items)
        assert first.cursor_after == "2026-04-01T08:59:00+08:00"

        # re-reported figures replace the earlier ones; new ones are added; nothing else moves
        later = "2026-05-02T09:30:00+08:00"
        revised = [
            {**items[0], "value": 1.5, "reported_at": later},
            {**items[1], "value": 2.5, "reported_at": later},
        ]
        fresh = [
            {**i, "indicator_code": "POP_RESIDENT", "unit": "人", "reported_at": later} for i in items[:3]
        ]
        _write(sandbox, items + revised + fresh)
        second = ingest_resource(settings.warehouse_path, source, "indicators", store, "r2")
    assert (second.inserted, second.updated) == (3, 2)
    assert second.rows_read < 300  # asked only for what was reported since the cursor
    assert query(settings, f"SELECT count(*) FROM {TABLE}") == [(303,)]
    got = query(
        settings,
        f"SELECT value::DOUBLE, reported_at::VARCHAR FROM {TABLE} "
        "WHERE region_code = ? AND period = ? AND indicator_code = 'GDP'",
        [items[0]["region_code"], items[0]["period"]],
    )
    assert got == [(1.5, "2026-05-02 09:30:00")]


def test_exhausted_retries_fail_retryable_and_change_nothing(
    sandbox: Path, settings: Settings, store: Store
) -> None:
    _write(sandbox, _items(40))
    with serve_in_background(sandbox, fail_rate=0.95, seed=1) as url:
        source = statistics.build({"base_url": url, **FAST, "max_attempts": 2})
        with pytest.raises(SourceUnavailable) as caught:
            ingest_resource(settings.warehouse_path, source, "indicators", store, "r1")
    assert caught.value.retryable and "failed 2 times" in str(caught.value)
    tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw_statistics'"
    assert query(settings, tables) == [(0,)]


def test_bad_items_are_quarantined(sandbox: Path, settings: Settings, store: Store) -> None:
    items = _items(5)
    items[2]["value"] = "n/a"
    items[3]["region_code"] = None
    _write(sandbox, items)
    with serve_in_background(sandbox) as url:
        result = ingest_resource(
            settings.warehouse_path, statistics.build({"base_url": url, **FAST}), "indicators", store, "r1"
        )
    assert (result.inserted, result.quarantined) == (3, 2)
    reasons = sorted((q.position, q.reason_code) for q in store_rows(store))
    assert reasons == [("page 1 item 3", "bad_number"), ("page 1 item 4", "missing_key")]


def store_rows(store: Store) -> list[Any]:
    from connectors import quarantine

    return quarantine.list_rows(store, source="statistics")
