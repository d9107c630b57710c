"""docs/partners.md's curl + openssl integration runs as written against a served hub."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.client.conftest import PROVINCE, ServedHub

DOC = Path(__file__).parents[2] / "docs" / "partners.md"


def _block(marker: str) -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    [found] = [b for b in blocks if b.startswith(f"# {marker}")]
    return found


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("openssl")), reason="curl and openssl (.ci/run)")
def test_the_curl_and_openssl_integration_reads_every_page(hub: ServedHub, tmp_path: Path):
    hub.faults.reset(lambda path, n: 503 if path.startswith("/v1/datasets/") and n == 2 else None)
    env = {"PATH": "/usr/bin:/bin", "HUB": hub.base, "CLIENT_ID": f"partner:{PROVINCE}",
           "KEY": str(hub.keys[PROVINCE])}
    done = subprocess.run(["bash", "-c", _block("partner-integration")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [int(re.search(r'"payment_id":(\d+)', line).group(1))  # type: ignore[union-attr]
           for line in (tmp_path / "rows.ndjson").read_text(encoding="utf-8").splitlines()]
    assert len(ids) == len(set(ids)) == 2999 and "2999 rows in 3 pages" in done.stdout
    assert len(hub.faults.injected) == 1  # curl retried the 503 after its Retry-After
    assert all((tmp_path / f"page{n}.receipt").read_text().count(".") == 2 for n in (1, 2, 3))
