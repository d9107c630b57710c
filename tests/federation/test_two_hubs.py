"""上下贯通 end to end: a county hub and a province hub on one machine, each its own HUB_HOME and ``hub serve``.

Upward: the province hub is registered at the county hub as a partner (its own key
pair, clearance, jurisdiction, purpose), applies there over HTTP for
``clues.duplicate_subsidy``, two county officers approve (the two-person rule), and the
province pulls it with the ``huitong`` connector — the real ingest asset, Arrow pages
over real HTTP, every receipt verified against the county's published audit keys —
twice, the second pull taking only what changed (and a full read once the county retired
the version last pulled).  The provenance and the county's
level land in the province's catalog (就高从严).  A forged receipt stops a load with
nothing written — also when the attacker serves forged audit keys, once the county's keys
are pinned at the province; a grant revoked at the county stops the next pull, the last good
version staying.

Downward: the province publishes a model package (``hub model publish``); two county
officers register the province as a trusted publisher from its served identity
document; the county installs the package (``hub model install``) and its clues equal
those the model yields at the province on the same data.  A package with one byte
altered and one signed by an unknown hub are refused with a message naming why.

Both hubs start from copies of the session's pipeline output (the same data).
"""

from __future__ import annotations

import inspect
import json
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from catalog.listing import show
from connectors.kinds import huitong
from hub.audit.canonical import b64url
from hub.cli import app as cli
from hub.exchange.snapshots import Snapshots
from hub.federation import identity, local, publishers
from hub.identity import register_partner
from hub.kms.parquet import snapshot_sealer
from hub.pipeline import run_pipeline
from hub.settings import get_settings
from hub.store.models import Dataset
from hub.warehouse import open_warehouse
from tests.conftest import PipelineOutput
from tests.federation.conftest import SAMPLE, Publisher, make_publisher
from tests.federation.hubs import Hub, make_hub

DUP = "clues.duplicate_subsidy"
SOURCE = "remote_county_330106"
LANDED = f"raw_{SOURCE}.clues__duplicate_subsidy"
PURPOSE = "case-verification"
PAGE = 2  # rows per page: several pages, every one with its receipt
# an API process caches its view of the current version this long (hub.exchange.snapshots): a
# republish made by another process is waited out, as tests/api/test_replicas waits out staleness_s
SNAPSHOT_TTL_S = float(inspect.signature(Snapshots).parameters["ttl_s"].default)
runner = CliRunner()


@dataclass
class Pair:
    county: Hub
    province: Hub
    grant: str
    root: Path


def _columns(county: Hub) -> dict[str, str]:
    from catalog.listing import columns

    with county.store.session() as session:
        return {c.name: c.data_type.lower() for c in columns(session, DUP)}


def _connect_province(county: Hub, province: Hub) -> None:
    """The province's key pair registered at the county as partner `zj-province`; its hub.yaml source."""
    key = Ed25519PrivateKey.generate()
    key_path = province.home / "keys" / "at-county_330106.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with county.store.session() as session:
        register_partner(session, county.audit.sink, "zj-province", clearance=4, jurisdiction="330000",
                         purposes=[PURPOSE], name="浙江省汇通节点", public_pem=public)
    source = {"connector": "huitong", "hub": "county_330106", "name_zh": "西湖区汇通节点", "url": county.url,
              "client_id": "partner:zj-province", "key_path": str(key_path), "purpose": PURPOSE,
              "page_size": PAGE, "max_attempts": 2, "backoff_s": 0.1,
              "datasets": [{"dataset": DUP, "primary_key": ["payment_id"], "columns": _columns(county)}]}
    (province.home / "hub.yaml").write_text(yaml.safe_dump({"sources": {SOURCE: source}}, allow_unicode=True),
                                            encoding="utf-8")


def _config(province: Hub) -> huitong.HuitongConfig:
    raw = yaml.safe_load((province.home / "hub.yaml").read_text(encoding="utf-8"))["sources"][SOURCE]
    return huitong.HuitongConfig.model_validate({k: v for k, v in raw.items() if k != "connector"} |
                                                {"source": SOURCE})


def pull(province: Hub) -> list[str]:
    """The province's pull: the real ingest asset of the huitong source; the failures (empty: loaded)."""
    result = run_pipeline(province.settings, province.home / "sandbox", only=("ingest",), sources=(SOURCE,))
    return result.stages[0].failures


def landed(province: Hub) -> list[dict[str, Any]]:
    with open_warehouse(province.settings, read_only=True) as con:  # encrypted at rest (issue 17)
        cursor = con.execute(f"SELECT * FROM {LANDED} ORDER BY payment_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def origin(province: Hub) -> dict[str, Any]:
    with province.store.session() as session:
        found = show(session, LANDED)["origin"]
    assert isinstance(found, dict)
    return found


def republish_with_one_more_row(county: Hub, retention: int | None = None) -> str:
    """A new clue row at the county (a copy of one with a new payment id), published as a new version
    (keeping ``retention`` versions: the county's setting unless given)."""
    from catalog.publish import publish

    with open_warehouse(county.settings) as con:  # encrypted at rest (issue 17)
        view = con.execute("SELECT sql FROM duckdb_views() WHERE schema_name = 'clues' "
                           "AND view_name = 'duplicate_subsidy'").fetchone()
        assert view is not None
        physical = str(view[0]).rsplit(" FROM ", 1)[1].rstrip(";").strip()  # SQLMesh's table behind the view
        con.execute(f"INSERT INTO {physical} SELECT * REPLACE (payment_id + 900000000 + (SELECT count(*) FROM "
                    f"{DUP}) AS payment_id) FROM {DUP} ORDER BY payment_id LIMIT 1")

        def redact(texts: Sequence[str | None]) -> list[str | None]:
            from catalog.redact import redact_texts

            return list(redact_texts(texts))

        with county.store.session() as session:
            ds = session.get(Dataset, DUP)
            assert ds is not None
            version = publish(session, con, ds, county.settings.published_dir, redact,
                              retention or county.settings.published_retention, sealer=snapshot_sealer(county.settings))
            assert version is not None
    time.sleep(SNAPSHOT_TTL_S)  # the county's server sees a republish within this documented bound
    return version.version


@pytest.fixture(scope="module")
def pair(pipeline_output: PipelineOutput, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("two_hubs")
    county = make_hub(pipeline_output.home, root, "county_330106", "西湖区汇通节点")
    province = make_hub(pipeline_output.home, root, "zj_province", "浙江省汇通节点")
    try:
        county.bind()  # its address is known; the partner is registered before its server reads any state
        _connect_province(county, province)
        county.serve()
        province.serve()
        application = huitong.apply(_config(province), DUP, days=30, max_rows_per_day=100_000,
                                    justification="省级汇总核查重复领取补贴线索")
        assert application["status"] == "pending", application
        from tests.officer_desk import Desk

        desk: Desk = county.desk
        with county.store.session() as session:  # the two-person rule: the finance owner, then security
            desk.decide(session, county.audit.sink, application["id"], "own-fin")
        with county.store.session() as session:
            desk.decide(session, county.audit.sink, application["id"], "sec-1")
        from hub import workflow

        with county.store.session() as session:
            grants = [g.id for g in workflow.list_grants(session) if g.application_id == application["id"]]
        assert len(grants) == 1
        assert pull(province) == [], county.serve_log()[-3000:]
        yield Pair(county, province, grants[0], root)
    finally:
        county.stop()
        province.stop()


def test_the_province_pulls_the_county_clues_twice_every_receipt_verified(pair: Pair,
                                                                         pipeline_output: PipelineOutput) -> None:
    county, province = pair.county, pair.province
    first, before = origin(province), landed(province)
    with county.store.session() as session:
        row = session.get(Dataset, DUP)
        assert row is not None
        version, level = row.current_version, row.level_reviewed or row.level_inferred
    assert before and first["version"] == version and first["mode"] == "full (first pull)"
    assert first["hub"] == "county_330106" and first["dataset"] == DUP and first["grant"]["id"] == pair.grant
    assert first["as"] == "partner:zj-province" and first["purpose"] == PURPOSE
    assert len(first["receipts"]) == -(-len(before) // PAGE)  # one receipt per page, each verified
    assert sum(r["rows"] for r in first["receipts"]) == len(before)
    assert first["masks"]["recipient_id_number"].startswith("masked there")
    county_ids = {r["recipient_id_number"] for r in _county_rows(county)}
    assert not county_ids & {r["recipient_id_number"] for r in before}  # masked at the origin, not here
    with province.store.session() as session:
        entry = session.get(Dataset, LANDED)
        assert entry is not None
        assert entry.level_inferred >= level  # 就高从严: never below its origin
        assert entry.sharing_type_inferred in ("conditional", "none")

    newer = republish_with_one_more_row(county)
    assert pull(province) == []
    second, after = origin(province), landed(province)
    assert second["version"] == newer and second["mode"] == f"changes since {version}"
    assert second["rows"] == 1 and sum(r["rows"] for r in second["receipts"]) == 1
    assert len(after) == len(before) + 1
    assert {r["payment_id"] for r in before} < {r["payment_id"] for r in after}

    republish_with_one_more_row(county, retention=1)  # the county retires the version last pulled (410)
    latest = republish_with_one_more_row(county, retention=1)
    # the county is a copy of the session's pipeline home: retiring removed its own files, not the
    # original's (the store records absolute paths, which still name the original home)
    assert (pipeline_output.home / "published" / DUP / "v1.parquet").is_file()
    assert not (county.settings.published_dir / DUP / "v1.parquet").exists()
    assert pull(province) == []
    third = origin(province)
    assert third["version"] == latest and third["mode"] == f"full (version {newer} retired or unknown there)"
    assert third["rows"] == len(after) + 2 and len(landed(province)) == len(after) + 2


def _county_rows(county: Hub) -> list[dict[str, Any]]:
    with open_warehouse(county.settings, read_only=True) as con:  # encrypted at rest (issue 17)
        cursor = con.execute(f"SELECT * FROM {DUP}")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class _Forger(httpx.HTTPTransport):
    """The network attacker: every receipt replaced by one with the same claims and key id, signed by another
    key; with ``keys``, the origin's published audit keys replaced too (the attacker's key under their kids)."""

    def __init__(self, keys: bool = False) -> None:
        super().__init__()
        self.key = Ed25519PrivateKey.generate()
        self.keys = keys
        self.forged = 0

    def _jwks(self, genuine: httpx.Response) -> httpx.Response:
        x = b64url(self.key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
        keys = [{**k, "x": x} for k in json.loads(genuine.read())["keys"]]
        return httpx.Response(200, json={"keys": keys})

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.keys and request.url.path == huitong.AUDIT_JWKS:
            return self._jwks(response)
        receipt = response.headers.get("x-hub-receipt")
        if not receipt:
            return response
        head, body, _ = receipt.split(".")
        forged = f"{head}.{body}.{b64url(self.key.sign(f'{head}.{body}'.encode('ascii')))}"
        content = response.read()
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in
                   ("x-hub-receipt", "content-length", "content-encoding", "transfer-encoding")]
        self.forged += 1
        return httpx.Response(response.status_code, headers=[*headers, ("x-hub-receipt", forged)], content=content)


def test_a_forged_receipt_stops_the_load_nothing_written(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    county, province = pair.county, pair.province
    before, kept = landed(province), origin(province)
    republish_with_one_more_row(county)
    forger = _Forger()
    monkeypatch.setattr(huitong, "make_transport", lambda: forger)
    failures = pull(province)
    assert forger.forged >= 1
    assert len(failures) == 1 and "does not verify" in failures[0] and "nothing of it is kept" in failures[0]
    assert landed(province) == before and origin(province)["version"] == kept["version"]

    # an attacker serving forged keys as well: caught by the county's audit keys pinned at the province
    pinned = province.home / "keys" / "county_330106-audit-jwks.json"
    pinned.write_text(county.get(huitong.AUDIT_JWKS).text, encoding="utf-8")  # received out of band
    config = yaml.safe_load((province.home / "hub.yaml").read_text(encoding="utf-8"))
    config["sources"][SOURCE]["audit_jwks"] = str(pinned)
    (province.home / "hub.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    forger = _Forger(keys=True)
    monkeypatch.setattr(huitong, "make_transport", lambda: forger)
    failures = pull(province)
    assert forger.forged >= 1 and len(failures) == 1 and "does not verify" in failures[0], failures
    assert landed(province) == before and origin(province)["version"] == kept["version"]

    monkeypatch.setattr(huitong, "make_transport", lambda: None)  # the honest channel: the pinned keys verify
    assert pull(province) == []
    assert len(landed(province)) == len(before) + 1 and origin(province)["version"] != kept["version"]


def test_the_county_model_installed_from_the_province_yields_the_same_clues(
        pair: Pair, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    county, province = pair.county, pair.province
    shutil.copytree(SAMPLE, province.home / "models" / "disposal_discount")
    package = tmp_path / "disposal_discount-1.0.0.hubmodel"
    published = _hub(monkeypatch, province, ["model", "publish", "disposal_discount", "--out", str(package)])
    assert published.exit_code == 0, published.output

    doc = publishers.read_identity(province.get("/.well-known/hub-identity.json").text)  # fetched over HTTP
    terms = publishers.terms(doc, province.url)
    for officer in ("own-fin", "sec-1"):  # two county officers register the province as a model publisher
        with county.store.session() as session:
            statement = county.desk.sign(officer, "trust", publishers.target("zj_province"), terms)
            publishers.trust(session, county.audit.sink, doc, province.url, statement)

    text = package.read_text(encoding="ascii")
    tampered = tmp_path / "tampered.hubmodel"
    middle = len(text) // 2
    tampered.write_text(text[:middle] + ("A" if text[middle] != "A" else "B") + text[middle + 1:], encoding="ascii")
    refused = _hub(monkeypatch, county, ["model", "install", str(tampered)])
    assert refused.exit_code != 0 and "tampered" in str(refused.exception), refused.exception
    stranger = tmp_path / "stranger.hubmodel"
    stranger.write_text(make_publisher(tmp_path, "rogue_hub").package(), encoding="ascii")
    refused = _hub(monkeypatch, county, ["model", "install", str(stranger)])
    assert refused.exit_code != 0
    assert "`rogue_hub` is not a trusted model publisher" in str(refused.exception), refused.exception

    files = local.files_of(SAMPLE)
    files["model.yaml"] = files["model.yaml"].replace("region_code]", "region_code, ghost_column]")
    unmet = tmp_path / "unmet.hubmodel"
    unmet.write_text(Publisher(province.settings, identity.load(province.settings)).package(files), encoding="ascii")
    refused = _hub(monkeypatch, county, ["model", "install", str(unmet)])
    assert refused.exit_code != 0 and "its input contract is not met here: dataset `state_assets.asset_disposal` " \
        "has no column(s) ghost_column" in str(refused.exception), refused.exception

    installed = _hub(monkeypatch, county, ["model", "install", str(package)])
    assert installed.exit_code == 0, installed.output
    assert "installed" in installed.output

    results = []
    for hub in (province, county):
        outcome = run_pipeline(hub.settings, hub.home / "sandbox", only=("transform",))
        assert not outcome.refused and "clues/disposal_discount" in outcome.stages[0].assets
        with open_warehouse(hub.settings, read_only=True) as con:  # encrypted at rest (issue 17)
            results.append(con.execute("SELECT * FROM clues.disposal_discount ORDER BY disposal_id").fetchall())
    at_province, at_county = results
    assert at_province and at_county == at_province
    with county.store.session() as session:  # results stay local: not exchangeable before a review and a grant
        clue = session.get(Dataset, "clues.disposal_discount")
        assert clue is not None and not clue.exchangeable
    with province.store.session() as session:  # the pulled dataset published at the province keeps its origin
        entry = show(session, "county_330106.clues__duplicate_subsidy")
        assert entry["origin"]["hub"] == "county_330106" and entry["level"] >= 4, entry

    revoked = _hub(monkeypatch, province, ["model", "revoke", "disposal_discount", "--reason", "阈值口径有误"])
    assert revoked.exit_code == 0, revoked.output
    synced = _hub(monkeypatch, county, ["model", "sync"])  # the revocations fetched from the province over HTTP
    assert synced.exit_code == 0 and "withdrawn: disposal_discount 1.0.0" in synced.output, synced.output
    listed = _hub(monkeypatch, county, ["model", "list", "--json"])
    state = {m["name"]: m["state"] for m in json.loads(listed.output)}
    assert state["disposal_discount"].startswith("withdrawn by its publisher")
    again = _hub(monkeypatch, county, ["model", "install", str(package)])
    assert again.exit_code != 0 and "withdrawn by its publisher" in str(again.exception), again.exception


def _hub(monkeypatch: pytest.MonkeyPatch, hub: Hub, args: list[str]) -> Any:
    """``hub ARGS`` in this process with HUB_HOME set to ``hub``'s home."""
    monkeypatch.setenv("HUB_HOME", str(hub.home))
    get_settings.cache_clear()
    try:
        return runner.invoke(cli, args)
    finally:
        get_settings.cache_clear()


def test_a_revoked_grant_at_the_origin_stops_the_next_pull(pair: Pair) -> None:
    county, province = pair.county, pair.province
    before, kept = landed(province), origin(province)
    republish_with_one_more_row(county)
    with county.store.session() as session:
        county.desk.revoke(session, county.audit.sink, pair.grant, "sec-2", note="核查结束，收回授权")
    failures = pull(province)
    assert len(failures) == 1 and f"revoked grant `{pair.grant}`" in failures[0]
    assert f"the last pulled version ({kept['version']}) stays" in failures[0]
    assert landed(province) == before and origin(province)["version"] == kept["version"]
