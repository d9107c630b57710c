"""A connector developer takes a new source all the way to a partner without editing the hub (issue 25).

One module-scoped world does what docs/connectors.md tells a newcomer: ``hub connector
new city_grants`` in a temporary directory, point it at a small CSV, ship one SQLMesh
model whose unit test is wrong, ``pip install --no-deps --target`` (the entry point a
real install registers, on the path of the ``hub`` subprocesses), add the source in
``hub.yaml`` and ``hub run`` over a seeded sandbox.  Then:

- the new dataset waits for an officer's review, the owner officer reviews it, the next
  run publishes it, a partner applies over the API, two officers approve from the
  CLI (two-person rule) and the partner reads its rows — jurisdiction-filtered and
  masked — while the built-in sources were ingested as before and no file of the
  hub's source tree changed;
- the shipped model with the failing unit test was refused with a message naming the
  test, and nothing of it reached the warehouse, the catalog or the published files;
  fixed and reinstalled, the same package passes the validation `hub run` applies
  (``hub connector check``, the installed entry point this time).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from hub import statements
from tests.api.conftest import BASE_URL, TOKEN_URL, AsgiClient, get_token
from tests.orchestration.helpers import warehouse

# Every hub command runs as a subprocess and is bounded on its own (``_cli``): a command that
# hangs fails the test with its stacks.  The module as a whole (two pipeline runs and some twenty
# commands, each paying the CLI's start-up) took 600 s of setup and call on this 2-core machine at
# load 9, so pytest's default 600 s would cut it there; its own limit is larger.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).parents[1]
HUB = str(Path(sys.executable).parent / "hub")  # the console script of the environment running the tests
COMMAND_BOUND_S = 240  # one officer or developer command: about 6 s on a quiet machine, 40 s at load 9
RUN_BOUND_S = 900  # one `hub run` of the seeded sandbox: about 55 s quiet, 190 s at load 9
SKIP_IN_DIGEST = {".git", ".venv", ".hub", "__pycache__", ".cache", ".mypy_cache", ".pytest_cache",
                  ".ruff_cache", "logs", "build", "dist"}
CSV = """id,name,region_code,amount,updated_at
1,张伟,330106,1200.50,2026-03-01T09:00:00
2,李娜,330106,800.00,2026-03-02T09:00:00
3,王芳,330102,950.25,2026-03-03T09:00:00
4,刘洋,330106001,400.00,2026-03-04T09:00:00
"""
MODEL = """MODEL (
  name city.items_by_region,
  kind FULL,
  grain region_code,
  description '按区划汇总的城市补助 items per region',
  audits (not_null(columns := (region_code)), unique_values(columns := (region_code)))
);

SELECT region_code, COUNT(*)::BIGINT AS items, SUM(amount)::DECIMAL(18, 2) AS amount
FROM staging.city_grants__items
GROUP BY region_code
"""
UNIT_TEST = """test_items_by_region:
  model: city.items_by_region
  inputs:
    staging.city_grants__items:
      rows:
        - {{id: 1, region_code: "330106", amount: 10.00}}
        - {{id: 2, region_code: "330106", amount: 5.50}}
        - {{id: 3, region_code: "330102", amount: 1.00}}
  outputs:
    query:
      rows:
        - {{region_code: "330106", items: {items}, amount: 15.50}}
        - {{region_code: "330102", items: 1, amount: 1.00}}
"""


def _tree_digest() -> str:
    """SHA-256 over every file of the hub's source tree (caches and environments left out)."""
    sha = hashlib.sha256()
    for path in sorted(ROOT.rglob("*")):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and not parts & SKIP_IN_DIGEST and not any(p.endswith(".egg-info") for p in parts):
            sha.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


def _git_status() -> str | None:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True,
                          timeout=COMMAND_BOUND_S)
    return done.stdout if done.returncode == 0 else None


def _cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``hub *args``, bounded: a command still running after its bound is stopped with SIGABRT, so
    that faulthandler (``PYTHONFAULTHANDLER=1``) prints every thread's stack, and the test fails
    at once with those stacks instead of waiting for pytest's timeout."""
    bound = RUN_BOUND_S if args[:1] == ["run"] else COMMAND_BOUND_S
    proc = subprocess.Popen([HUB, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        out, err = proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = "", "(no stacks: the command did not end on SIGABRT either)"
        pytest.fail(f"hub {' '.join(args)} still running after {bound} s; its stacks:\n{err}\n{out}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@dataclass
class World:
    """A HUB_HOME, the developer's directory, and the installed connector."""

    home: Path
    work: Path
    site: Path
    env: dict[str, str]
    first_run: subprocess.CompletedProcess[str]
    tree_before: str
    git_before: str | None

    def hub(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = _cli(list(args), self.env, self.work)
        if ok:
            assert done.returncode == 0, f"hub {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done

    def install(self) -> None:
        """``pip install --no-deps --target``: the files and entry point a real install writes."""
        shutil.rmtree(self.site, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                        "--target", str(self.site), str(self.work / "city_grants")],
                       check=True, capture_output=True, timeout=300)

    def warehouse(self, sql: str) -> list[tuple[Any, ...]]:
        with warehouse(self.home) as con:  # the encrypted warehouse, through open_warehouse
            return con.execute(sql).fetchall()


def _make_connector(work: Path, env: dict[str, str]) -> Path:
    done = _cli(["connector", "new", "city_grants", "--provider", "city", "--provider-name", "城市管理局"], env, work)
    assert done.returncode == 0, done.stderr
    package = work / "city_grants" / "city_grants"
    module = package / "connector.py"
    text = module.read_text(encoding="utf-8")
    assert text.count("@connector(") == 1
    shipped = 'provider=PROVIDER,\n           transforms=Path(__file__).parent / "transforms")'
    module.write_text(text.replace("provider=PROVIDER)", shipped), encoding="utf-8")
    (package / "transforms" / "models").mkdir(parents=True)
    (package / "transforms" / "tests").mkdir()
    (package / "transforms" / "models" / "items_by_region.sql").write_text(MODEL, encoding="utf-8")
    # the developer's unit test expects three items in 330106; the model (rightly) counts two
    (package / "transforms" / "tests" / "test_items_by_region.yaml").write_text(UNIT_TEST.format(items=3),
                                                                              encoding="utf-8")
    return work / "city_grants"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from hub.sandbox import seed

    tree_before, git_before = _tree_digest(), _git_status()
    base = tmp_path_factory.mktemp("developer")
    home, work, site = base / "hub-home", base / "work", base / "site"
    work.mkdir()
    env = {**os.environ, "HUB_HOME": str(home), "PYTHONPATH": str(site), "COLUMNS": "250",
           "HUB_OFFICER_PASSPHRASE": "walk-through passphrase", "PYTHONFAULTHANDLER": "1"}
    for name in ("HUB_DATABASE_URL", "HUB_OPA_URL"):
        env.pop(name, None)
    _make_connector(work, env)
    (work / "grants.csv").write_text(CSV, encoding="utf-8")
    seed(home / "sandbox", seed=11, scale=100)
    (home / "hub.yaml").write_text(
        f"sources:\n  city_grants: {{connector: city_grants, path: '{work / 'grants.csv'}'}}\n", encoding="utf-8")
    w = World(home, work, site, env, subprocess.CompletedProcess([], 0), tree_before, git_before)
    w.install()
    w.first_run = w.hub("run", ok=False)
    # exit 4: the package's failing model was refused (the sandbox's damaged rows alone would be 3)
    assert w.first_run.returncode == 4, f"{w.first_run.stdout}\n{w.first_run.stderr}"
    yield w


def _catalog(world: World, dataset: str) -> dict[str, Any]:
    import json

    return dict(json.loads(world.hub("catalog", "show", dataset, "--json").stdout))


def _records(world: World, event: str) -> list[Any]:
    from sqlalchemy import select

    from hub.settings import load_settings
    from hub.store.db import open_store
    from hub.store.models import AuditRecord

    store = open_store(load_settings(home=world.home).metadata_url)
    try:
        with store.session() as session:
            return list(session.scalars(select(AuditRecord).where(AuditRecord.event == event)))
    finally:
        store.dispose()


def _app(world: World):  # type: ignore[no-untyped-def]
    from hub.api import create_app
    from hub.audit import AuditLog
    from hub.keys import KeyStore
    from hub.settings import load_settings
    from hub.store.db import open_store

    settings = load_settings(home=world.home)
    store = open_store(settings.metadata_url)
    audit = AuditLog.from_settings(store, settings)
    app = create_app(settings, audit=audit.append, store=store, keys=KeyStore(settings.keys_dir),
                     public_url=BASE_URL)
    return app, audit, store


def _token(client: AsgiClient, key_path: Path) -> str:
    from hub.tokens import client_assertion

    key = load_pem_private_key(key_path.read_bytes(), password=None)
    answer = get_token(client, client_assertion(key, "partner:city-platform", TOKEN_URL))
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _apply(client: AsgiClient, token: str) -> Any:
    now = datetime.now(UTC)
    return client.post("/v1/applications", headers={"Authorization": f"Bearer {token}"}, json={
        "dataset": "city.items", "purpose": "case-verification", "columns": ["id", "name", "region_code", "amount"],
        "valid_from": now.isoformat(), "valid_until": (now + timedelta(days=30)).isoformat(),
        "max_rows_per_day": 100_000})


def test_a_new_source_reaches_a_partner_without_editing_the_hub(world: World) -> None:
    # the new table was ingested, typed by the generated staging model, cataloged from its draft
    assert world.warehouse("SELECT count(*) FROM raw_city_grants.items") == [(4,)]
    assert world.warehouse("SELECT typeof(amount) FROM staging.city_grants__items LIMIT 1") == [("DECIMAL(18,2)",)]
    entry = _catalog(world, "city.items")
    assert (entry["provider"], entry["layer"], entry["name_zh"]) == ("city", "source", "city_grants 条目")
    assert entry["review"]["status"] == "pending officer review" and entry["exchangeable"] is False
    assert {c["name"]: c["pii"] for c in entry["columns"]}["name"] == "PERSON"  # the scanner classified it
    # the provider the connector declares was registered by the run, so its owner can enrol;
    # each officer makes its own key and enrols with it (the hub's one-time bootstrap)
    owner_key, security_key = world.work / "city-owner.key", world.work / "sec-1.key"
    world.hub("officer", "keygen", "--out", str(owner_key))
    world.hub("officer", "keygen", "--out", str(security_key))
    world.hub("officer", "bootstrap", "city-owner", "--role", "owner", "--owner-of", "city", "--key", str(owner_key))
    world.hub("officer", "bootstrap", "sec-1", "--role", "security", "--key", str(security_key))
    key = world.home / "partner.pem"
    world.hub("partner", "add", "city-platform", "--clearance", "3", "--jurisdiction", "330106",
              "--purpose", "case-verification", "--key-out", str(key))

    app, audit, store = _app(world)
    try:
        with AsgiClient(app) as client:
            token = _token(client, key)
            refused = _apply(client, token)  # not exchangeable before an officer's review
            # answered as an unknown dataset would be (a partner must not learn that it exists)
            assert refused.status_code == 404 and "not available for exchange" in refused.json()["detail"]
            listed = client.get("/v1/catalog", headers={"Authorization": f"Bearer {token}"}).json()
            assert "city.items" not in {d["dataset"] for d in listed["datasets"]}

            unsigned = world.hub("catalog", "review", "city.items", ok=False)
            assert unsigned.returncode == 1 and "signed with the officer's own key" in unsigned.stderr
            wrong = world.hub("catalog", "review", "city.items", "--column", "nope=PERSON", "--key",
                              str(security_key), ok=False)
            assert wrong.returncode == 1 and "has no column `nope`" in wrong.stderr
            world.hub("catalog", "review", "city.items", "--comment", "查验无误", "--key", str(owner_key))
            again = world.hub("run", ok=False)  # publishes the reviewed dataset
            assert again.returncode == 4 and "refused:" in again.stdout  # the model is still refused
            assert _catalog(world, "city.items")["version"] == "v1"

            applied = _apply(client, token)
            assert applied.status_code == 201, applied.text
            application = applied.json()["id"]
            world.hub("application", "approve", application, "--key", str(owner_key))
            assert "status approved" in world.hub("application", "approve", application, "--key",
                                                  str(security_key)).stdout.replace("\n", " ")
            rows = client.get("/v1/datasets/city.items/rows", headers={"Authorization": f"Bearer {token}"},
                              params={"purpose": "case-verification", "format": "json", "limit": 50})
            assert rows.status_code == 200, rows.text
            got = {r["id"]: r for r in rows.json()["rows"]}
    finally:
        audit.close()
        store.dispose()
    assert sorted(got) == [1, 2, 4]  # row 3 (330102) lies outside the partner's jurisdiction
    assert {i: float(r["amount"]) for i, r in got.items()} == {1: 1200.5, 2: 800.0, 4: 400.0}
    assert got[1]["name"] != "张伟" and got[1]["name"].startswith("张")  # a person's name, masked

    for table in ("raw_finance.payroll", "raw_state_assets.enterprise", "raw_audit.findings",
                  "raw_statistics.indicators"):
        assert world.warehouse(f"SELECT count(*) FROM {table}")[0][0] > 0, table
    assert _catalog(world, "finance.subsidy_payment")["version"] is not None
    world.hub("audit", "verify")  # the chain verifies, the officers' signatures included
    reviews = _records(world, "catalog.reviewed")
    assert [(r.subject, r.details["target"]) for r in reviews] == [("officer:city-owner", "dataset:city.items")]
    assert statements.parse(reviews[0].details["signed"][0]["statement"]).action == "review"
    assert _tree_digest() == world.tree_before, "a file of the hub's source tree changed"
    assert _git_status() == world.git_before


def test_a_shipped_model_with_a_failing_unit_test_is_refused_and_nothing_of_it_published(world: World) -> None:
    out = world.first_run.stdout.replace("\n", " ")
    assert "refused:" in out and "connector `city_grants`" in out and "test_items_by_region" in out
    assert "1 of 1 unit test(s) failed" in out
    tables = {t for (t,) in world.warehouse("SELECT table_schema || '.' || table_name FROM "
                                            "information_schema.tables")}
    assert "city.items_by_region" not in tables and "city.items" in tables
    assert world.hub("catalog", "show", "city.items_by_region", ok=False).returncode != 0
    assert not (world.home / "published" / "city.items_by_region").exists()
    checked = world.hub("connector", "check", str(world.work / "city_grants"), ok=False)
    assert checked.returncode == 1 and "test_items_by_region" in checked.stdout + checked.stderr

    # the developer fixes the expectation and reinstalls: the same model now joins the project
    test_file = world.work / "city_grants" / "city_grants" / "transforms" / "tests" / "test_items_by_region.yaml"
    test_file.write_text(UNIT_TEST.format(items=2), encoding="utf-8")
    world.install()
    assert "all 5 checks passed" in world.hub("connector", "check", "city_grants").stdout
