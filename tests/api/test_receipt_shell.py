"""A partner verifies a delivery receipt alone: docs/audit.md §6's shell block, run as written.

The block is taken from docs/audit.md (so the documented commands are the tested ones)
and run with ``sh`` in an empty directory against a hub served by uvicorn on port 0,
with nothing but ``HUB`` and ``TOKEN`` set: curl fetches the rows and the audit JWKS,
openssl verifies the JWS.  Then the same commands are shown to catch a forged receipt,
a key the hub does not publish and a body that is not the one delivered.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.api.exchange_world import World
from tests.api.served import Served

DOC = Path(__file__).parents[2] / "docs" / "audit.md"
MARK = "# receipt-verification:"


def documented_script() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    found = [b for b in blocks if b.startswith(MARK)]
    assert len(found) == 1, "docs/audit.md must hold exactly one receipt-verification block"
    return found[0]


def run(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def tools() -> None:
    missing = [t for t in ("curl", "openssl", "base64", "sha256sum", "sed", "grep") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the receipt test needs {', '.join(missing)} (.ci/run installs them)")


def test_a_partner_verifies_a_receipt_with_curl_and_openssl_only(
        world: World, tmp_path: Path, tools: None) -> None:
    script = documented_script()
    with Served(world.app(), world.settings) as served:
        env = {"PATH": os.environ["PATH"], "HUB": served.base,
               "TOKEN": served.token(world.clients["hz-xihu-jw"])}
        empty = tmp_path / "partner"
        empty.mkdir()
        done = run(script, empty, env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Signature Verified Successfully" in done.stdout
        assert "receipt verified:" in done.stdout and '"subject":"partner:hz-xihu-jw"' in done.stdout
        request_id = re.search(r'"request_id":"([0-9a-f]+)"', done.stdout)
        assert request_id is not None
        headers = (empty / "headers.txt").read_text().lower()
        assert f"x-hub-request-id: {request_id.group(1)}" in headers

        # the same openssl command refuses what the hub did not sign
        verify = "openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in signed.txt -sigfile signature.bin"
        forged = (empty / "signed.txt").read_text().replace(".", "x.", 1)  # altered signed bytes
        (empty / "forged.txt").write_text(forged)
        bad = run(verify.replace("signed.txt", "forged.txt"), empty, env)
        assert bad.returncode != 0 and "Signature Verified Successfully" not in bad.stdout
        # ... a key the hub does not publish
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", "other.key"], cwd=empty, check=True,
                       capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", "other.key", "-pubout", "-out", "other.pem"], cwd=empty,
                       check=True, capture_output=True)
        assert run(verify.replace("key.pem", "other.pem"), empty, env).returncode != 0
        # ... and a body that is not the one delivered
        (empty / "body.json").write_bytes((empty / "body.json").read_bytes().replace(b"330106", b"330105", 1))
        check_body = ("grep -q \"\\\"response_sha256\\\":\\\"$(sha256sum body.json | cut -d' ' -f1)\\\"\" "
                      "claims.json")
        assert run(check_body, empty, env).returncode != 0
