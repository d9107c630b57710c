"""Export files verify on their own; tampering with one is caught; excerpts trust their first link."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from hub.audit.export import export, verify_export
from hub.audit.query import query
from tests.audit.conftest import AuditEnv, cli


@pytest.fixture
def chain23(audit_env: AuditEnv) -> AuditEnv:
    audit_env.fill(23)  # checkpoints at 5, 10, 15, 20
    return audit_env


def write_export(env: AuditEnv, path: Path, since: str | None = None, until: str | None = None) -> None:
    buffer = io.StringIO()
    export(env.store, env.keys, buffer, since, until)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def ts_of(env: AuditEnv, seq: int) -> str:
    return query(env.store, after_seq=seq - 1, limit=1)[0].ts


def test_whole_export_verifies(chain23: AuditEnv, tmp_path: Path) -> None:
    path = tmp_path / "all.jsonl"
    write_export(chain23, path)
    report = verify_export(path)
    assert report.ok, report.summary()
    assert (report.first_seq, report.last_seq, report.checkpoints, report.unsigned_tail) == (1, 23, 4, 3)


def test_middle_excerpt_extends_to_the_covering_checkpoint(chain23: AuditEnv, tmp_path: Path) -> None:
    chain23.log.checkpoint_now()  # a checkpoint at 23 so nothing is unsigned
    path = tmp_path / "mid.jsonl"
    write_export(chain23, path, since=ts_of(chain23, 7), until=ts_of(chain23, 13))
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    seqs = [line["record"]["seq"] for line in lines if line["type"] == "record"]
    # same-ts records are written by one batch; the range is at least 7..12, extended to cp 15
    assert seqs[0] <= 7 and seqs[-1] == 15 and seqs == list(range(seqs[0], 16))
    report = verify_export(path)
    assert report.ok and report.unsigned_tail == 0, report.summary()


@pytest.mark.parametrize(("edit", "bad_seq"), [
    (lambda rec: rec.update(rows=424242) if rec["seq"] == 9 else None, 9),
    (lambda rec: rec.update(seq=100) if rec["seq"] == 12 else None, 12),
])
def test_tampered_export_is_caught(chain23: AuditEnv, tmp_path: Path, edit, bad_seq: int) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.jsonl"
    write_export(chain23, path)
    out = []
    for text in path.read_text(encoding="utf-8").splitlines():
        line = json.loads(text)
        if line["type"] == "record":
            edit(line["record"])
        out.append(json.dumps(line, ensure_ascii=False))
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    report = verify_export(path)
    assert report.first_bad is not None and report.first_bad.seq == bad_seq, report.summary()


def test_cut_export_is_caught(chain23: AuditEnv, tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    write_export(chain23, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    report = verify_export(path)
    assert report.first_bad is not None and report.first_bad.seq == 22, report.summary()


def test_cli_export_then_verify(chain23: AuditEnv, tmp_path: Path) -> None:
    path = tmp_path / "cli.jsonl"
    written = cli("export", "--out", str(path))
    assert written.exit_code == 0, written.output
    verified = cli("verify", str(path))
    assert verified.exit_code == 0 and "23 records" in verified.output, verified.output
    from hub.audit.verify import audience

    hub = audience(chain23.store)
    # the header names the hub; its statements are held to it
    assert hub and f"(hub {hub})" in " ".join(verified.output.split())
    path.write_text(path.read_text(encoding="utf-8").replace('"rows":4,', '"rows":5,'), encoding="utf-8")
    tampered = cli("verify", str(path))
    assert tampered.exit_code == 1 and "first bad seq 5:" in tampered.output, tampered.output


def test_not_an_export_is_a_clear_error(tmp_path: Path) -> None:
    from hub.audit import EvidenceError

    path = tmp_path / "junk.jsonl"
    path.write_text("hello\n", encoding="utf-8")
    with pytest.raises(EvidenceError, match="line 1 is not JSON"):
        verify_export(path)
