"""``hub client rows --out``: killed mid-download, run again, the file is byte-identical.

The command runs as its own process against the served hub.  The fault injector holds
the fifth data request until released, so the process is killed (SIGKILL) at a known
point — after four pages are on disk — never by timing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from hub.client import Download, DownloadError, HubClient
from tests.api.exchange_world import SUBSIDY
from tests.client.conftest import HOLD, PROVINCE, ROWS, ServedHub

HUB = str(Path(sys.executable).with_name("hub"))


def _command(hub: ServedHub, out: Path, fmt: str) -> list[str]:
    return [HUB, "client", "rows", SUBSIDY, "--purpose", "case-verification", "--format", fmt, "--out", str(out),
            "--page-size", "5000", "--url", hub.base, "--client-id", f"partner:{PROVINCE}",
            "--key", str(hub.keys[PROVINCE]), "--columns", "payment_id,township_code,amount,recipient_name"]


def _env() -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if not k.startswith("HUB_")}, "COLUMNS": "100"}


def _kill_when_held(hub: ServedHub, command: list[str]) -> None:
    """Start ``command``; SIGKILL it once the fault injector holds its request; release the request."""
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env()) as proc:
        try:
            held = threading.Event()
            while not held.wait(0.05):  # an event wait; bounded only to fail a client that never gets there
                if hub.faults.holding.is_set():
                    held.set()
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            hub.faults.release.set()


@pytest.mark.parametrize("fmt", ["parquet"])
def test_rows_out_resumes_after_a_kill_and_matches_an_uninterrupted_download(hub: ServedHub, tmp_path: Path,
                                                                            fmt: str):
    hub.faults.reset()
    whole = tmp_path / f"whole.{fmt}"
    done = subprocess.run(_command(hub, whole, fmt), capture_output=True, text=True, env=_env(), timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"{ROWS:,} rows" in " ".join(done.stderr.split())
    assert (tmp_path / f"whole.{fmt}.receipts").read_text().count("\n") == 20  # a verified receipt per page

    data = f"/v1/datasets/{SUBSIDY}/rows"
    hub.faults.reset(lambda path, n: HOLD if path == data and n == 5 else None)
    resumed = tmp_path / f"resumed.{fmt}"
    _kill_when_held(hub, _command(hub, resumed, fmt))
    work = tmp_path / f".resumed.{fmt}.hub-download"
    state = json.loads((work / "state.json").read_text())
    assert len(state["pages"]) == 4 and state["next_cursor"] and not resumed.exists()

    hub.faults.reset()
    again = subprocess.run(_command(hub, resumed, fmt), capture_output=True, text=True, env=_env(), timeout=600)
    assert again.returncode == 0, again.stderr
    assert "resumed after 4 pages" in " ".join(again.stderr.split()) and not work.exists()
    assert resumed.read_bytes() == whole.read_bytes()
    assert hub.faults.seen[data] == 16  # only the missing pages were fetched again


class Interrupted(Exception):
    """Stands in for a kill inside the process (the subprocess test above kills for real)."""


def _interrupt_after(pages: int):  # type: ignore[no-untyped-def]
    def progress(rows: int, done: int) -> None:
        if done == pages:
            raise Interrupted

    return progress


@pytest.mark.parametrize("fmt", ["ndjson", "csv", "json", "arrow"])
def test_every_format_joins_to_the_same_bytes_after_an_interruption(hub: ServedHub, tmp_path: Path, fmt: str):
    hub.faults.reset()
    query = {"format": fmt, "page_size": 7_000, "columns": ["payment_id", "recipient_name", "amount"],
             "filters": ["payment_id:lt:30000"]}
    with HubClient(hub.base, hub.credentials()) as client:
        whole = Download(client, SUBSIDY, "case-verification", tmp_path / f"whole.{fmt}", **query).run()
        part = Download(client, SUBSIDY, "case-verification", tmp_path / f"part.{fmt}", **query)
        with pytest.raises(Interrupted):
            part.run(_interrupt_after(2))
        with pytest.raises(DownloadError, match="other parameters"):
            Download(client, SUBSIDY, "case-verification", tmp_path / f"part.{fmt}",
                     **{**query, "page_size": 5_000}).run()
        resumed = part.run()
    assert resumed.resumed_pages == 2 and resumed.rows == whole.rows > 20_000 and resumed.pages == whole.pages
    assert (tmp_path / f"part.{fmt}").read_bytes() == (tmp_path / f"whole.{fmt}").read_bytes()
