"""属地 (issue 23): no partner is served a row outside its jurisdiction, on any published dataset.

The walk: for every published dataset of the pipeline output and every partner
jurisdiction the demo registers (plus a city, so that the 4-digit prefix meets data
with rows outside it: the province holds the whole sandbox), a partner of that
jurisdiction applies, an owner officer of the dataset's provider and a security officer
approve (the real workflow, two-person rule), and the partner reads every row over the
API.  Each row's county comes from ground truth worked out from the raw layer
(``tests/api/jurisdiction_truth.py``), not from the column the filter uses; the rows
served must be exactly the dataset's rows inside the jurisdiction.  A grant approved
for all regions lifts the filter; nothing else does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalog.listing import columns as catalog_columns
from hub import demo, statements, workflow
from hub.masking import quote_ident
from hub.store.models import AuditRecord, Dataset, Grant
from hub.warehouse import open_warehouse
from tests.api.conftest import AsgiClient, Bearers
from tests.api.exchange_world import World, _register, bearer, enrol_officer
from tests.api.jurisdiction_truth import KEYS, Key, truth

PURPOSE = "case-verification"
DEMO_JURISDICTIONS = sorted({jurisdiction for _c, jurisdiction, _p, _n in demo.PARTNERS.values()})
CITY = "330100"  # Hangzhou; the sandbox also holds counties of Ningbo, Wenzhou, Jiaxing, ...
JURISDICTIONS = [*DEMO_JURISDICTIONS, CITY]
ALL = "walk-all-regions"  # a county partner (330106) whose grants are approved for all regions
OWNERS = {"finance": "own-fin", "state_assets": "own-sa", "audit": "own-audit", "statistics": "own-stat"}
DATASETS = sorted(KEYS)
# The six datasets issue 23 found served unfiltered (a district partner got other districts' rows).
FOUND_UNFILTERED = ["finance.payroll", "finance.treasury_payment", "state_assets.asset_disposal",
                    "state_assets.major_decision", "audit.findings", "resources.person"]


def prefix_of(code: str) -> str:
    """The row prefix of a jurisdiction (as policies/hub/region.rego): county 6, city 4, province 2 digits."""
    return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code


def partner_of(jurisdiction: str) -> str:
    return f"walk-{jurisdiction}"


@dataclass
class Walk:
    world: World
    http: AsgiClient
    places: dict[str, dict[Key, str | None]]  # dataset -> key -> county (ground truth)
    keys: dict[str, list[Key]]  # dataset -> every key of its published rows
    auth: dict[str, dict[str, str]]

    def read(self, partner: str, dataset: str) -> list[Key]:
        """Every row ``partner`` is served of ``dataset`` (its key columns only), following the pages."""
        names = KEYS[dataset]
        params: dict[str, Any] = {"purpose": PURPOSE, "columns": ",".join(names), "limit": 100_000}
        served: list[Key] = []
        while True:
            response = self.http.get(f"/v1/datasets/{dataset}/rows", params=params, headers=self.auth[partner])
            assert response.status_code == 200, (partner, dataset, response.text)
            served += [tuple(row[n] for n in names) for row in response.json()["rows"]]
            link = response.headers.get("Link")
            if not link:
                return served
            params = {**params, "cursor": link.split("cursor=")[1].split(">")[0]}

    def inside(self, dataset: str, jurisdiction: str) -> list[Key]:
        prefix = prefix_of(jurisdiction)
        return [k for k in self.keys[dataset] if (self.places[dataset].get(k) or "").startswith(prefix)]


def apply_and_approve(world: World, partner: str, dataset: str, provider: str, *, all_regions: bool) -> str:
    """``partner`` applies for every column of ``dataset`` (all clear); owner + security approve."""
    now = datetime.now(UTC)
    with world.store.session() as session:
        names = [c.name for c in catalog_columns(session, dataset)]
        app = workflow.apply(session, world.audit.sink, workflow.ApplicationRequest(
            partner=partner, dataset=dataset, purpose=PURPOSE, columns=names, clear_columns=tuple(names),
            valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30),
            max_rows_per_day=10_000_000, all_regions=all_regions))
        app_id = app.id
    for officer in (OWNERS[provider], "sec-1"):
        with world.store.session() as session:
            world.desk.decide(session, world.audit.sink, app_id, officer)
    return app_id


def _published(world: World) -> dict[str, str]:
    """Published (exchangeable, snapshotted) datasets and their providers."""
    with world.store.session() as session:
        found = session.scalars(select(Dataset).where(Dataset.exchangeable.is_(True),
                                                      Dataset.current_version.is_not(None)))
        return {d.id: d.provider for d in found}


@pytest.fixture(scope="module")
def walk(world: World) -> Iterator[Walk]:
    for provider, officer in OWNERS.items():
        if officer not in world.clients:
            enrol_officer(world, officer, "owner", provider)
    partners = {partner_of(j): j for j in JURISDICTIONS} | {ALL: "330106"}
    for partner, jurisdiction in partners.items():
        _register(world, "partner", partner, clearance=4, jurisdiction=jurisdiction, purposes=[PURPOSE])
    published = _published(world)
    for dataset, provider in published.items():
        for partner in partners:
            apply_and_approve(world, partner, dataset, provider, all_regions=partner == ALL)
    with open_warehouse(world.settings, read_only=True) as con:
        places = truth(con)
        keys = {d: [tuple(r) for r in con.execute(
            f"SELECT {', '.join(map(quote_ident, KEYS[d]))} FROM {d}").fetchall()]  # noqa: S608
            for d in published}
    with AsgiClient(world.app()) as http:
        yield Walk(world, http, places, keys, Bearers(http, world))  # tokens reissued within their life


def test_the_walk_covers_every_published_dataset(walk: Walk) -> None:
    assert set(_published(walk.world)) == set(DATASETS)
    assert set(walk.places) == set(DATASETS)


def test_ground_truth_places_every_published_row(walk: Walk) -> None:
    """The sandbox places every organisation and person: the walk compares real counties."""
    unplaced = {d: [k for k in keys if not walk.places[d].get(k)] for d, keys in walk.keys.items()}
    assert {d: u for d, u in unplaced.items() if u} == {}


def test_the_datasets_issue_23_found_unfiltered_hold_other_districts_rows(walk: Walk) -> None:
    for dataset in FOUND_UNFILTERED:
        inside = walk.inside(dataset, "330106")
        assert 0 < len(inside) < len(walk.keys[dataset]), dataset


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_no_row_outside_the_jurisdiction_is_served(walk: Walk, dataset: str, jurisdiction: str) -> None:
    served = walk.read(partner_of(jurisdiction), dataset)
    prefix = prefix_of(jurisdiction)
    place = walk.places[dataset]
    outside = [(k, place.get(k)) for k in served if not (place.get(k) or "").startswith(prefix)]
    assert outside == [], f"{len(outside)} rows of `{dataset}` outside {jurisdiction} served"
    assert len(served) == len(set(served))
    assert sorted(served) == sorted(walk.inside(dataset, jurisdiction))  # and nothing inside withheld


@pytest.mark.parametrize("dataset", DATASETS)
def test_an_all_regions_grant_serves_every_row(walk: Walk, dataset: str) -> None:
    assert sorted(walk.read(ALL, dataset)) == sorted(walk.keys[dataset])


# --- all regions only when approved as such ---------------------------------------------------------


def _application_body(dataset: str, columns: list[str], **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"dataset": dataset, "purpose": PURPOSE, "columns": columns,
            "valid_from": (now - timedelta(hours=1)).isoformat(), "valid_until": (now + timedelta(days=1)).isoformat(),
            "max_rows_per_day": 1_000_000, **extra}


def _grants_of(world: World, application: str) -> list[Grant]:
    with world.store.session() as session:
        return list(session.scalars(select(Grant).where(Grant.application_id == application)))


def _audited(world: World, event: str, grant: str) -> list[dict[str, Any]]:
    with world.store.session() as session:
        return [r.details for r in session.scalars(select(AuditRecord).where(AuditRecord.event == event,
                                                                             AuditRecord.grant == grant))]


def _approval(world: World, officer: str, app_id: str) -> dict[str, str]:
    """``officer``'s signed approval of the application's terms as they stand."""
    with world.store.session() as session:
        terms = statements.application_terms(workflow.get_application(session, app_id))
    return {"statement": world.desk.sign(officer, "approve", f"application:{app_id}", terms)}


def test_an_all_regions_grant_exists_only_when_approved_as_such(walk: Walk) -> None:
    http, world = walk.http, walk.world
    _register(world, "partner", "walk-api", clearance=4, jurisdiction="330106", purposes=[PURPOSE])
    officers = {o: bearer(http, world.clients[o]) for o in ("own-fin", "sec-1")}
    partner = bearer(http, world.clients["walk-api"])
    dataset, rows = "finance.payroll", "/v1/datasets/finance.payroll/rows"
    created = http.post("/v1/applications", json=_application_body(dataset, ["record_id"], all_regions=True),
                        headers=partner)
    assert created.status_code == 201, created.text
    app_id = created.json()["id"]
    assert created.json()["all_regions"] is True
    listed = http.get("/v1/applications", headers=officers["sec-1"]).json()["applications"]
    assert [a["all_regions"] for a in listed if a["id"] == app_id] == [True]  # the officers see what they approve

    first = http.post(f"/v1/applications/{app_id}/decisions", json=_approval(world, "own-fin", app_id),
                      headers=officers["own-fin"])
    assert first.json()["status"] == "pending" and _grants_of(world, app_id) == []
    assert http.get(rows, params={"purpose": PURPOSE}, headers=partner).status_code == 403

    second = http.post(f"/v1/applications/{app_id}/decisions", json=_approval(world, "sec-1", app_id),
                       headers=officers["sec-1"])
    assert second.json()["status"] == "approved"
    (grant,) = _grants_of(world, app_id)
    assert grant.all_regions is True and {a["officer"] for a in grant.approvals} == {"own-fin", "sec-1"}
    assert [g["all_regions"] for g in http.get("/v1/grants", headers=partner).json()["grants"]] == [True]
    assert [d["all_regions"] for d in _audited(world, "grant.created", grant.id)] == [True]
    served = http.get(rows, params={"purpose": PURPOSE, "limit": 100_000}, headers=partner).json()["rows"]
    assert sorted((r["record_id"],) for r in served) == sorted(walk.keys[dataset])  # every region


def test_an_application_that_does_not_ask_for_all_regions_gets_a_scoped_grant(walk: Walk) -> None:
    http, world = walk.http, walk.world
    _register(world, "partner", "walk-api-2", clearance=4, jurisdiction="330106", purposes=[PURPOSE])
    partner = bearer(http, world.clients["walk-api-2"])
    dataset = "finance.treasury_payment"
    created = http.post("/v1/applications", json=_application_body(dataset, ["payment_id"]), headers=partner)
    assert created.status_code == 201 and created.json()["all_regions"] is False
    for officer in ("own-fin", "sec-1"):
        http.post(f"/v1/applications/{created.json()['id']}/decisions",
                  json=_approval(world, officer, created.json()["id"]), headers=bearer(http, world.clients[officer]))
    (grant,) = _grants_of(world, created.json()["id"])
    assert grant.all_regions is False
    served = http.get(f"/v1/datasets/{dataset}/rows", params={"purpose": PURPOSE, "limit": 100_000},
                      headers=partner).json()["rows"]
    assert sorted((r["payment_id"],) for r in served) == sorted(walk.inside(dataset, "330106"))


@pytest.mark.parametrize("value", ["true", 1, "yes", None])
def test_all_regions_must_be_a_json_boolean(walk: Walk, value: Any) -> None:
    http, world = walk.http, walk.world
    partner = bearer(http, world.clients[partner_of("330106")])
    before = http.get("/v1/applications", headers=partner).json()["applications"]
    response = http.post("/v1/applications", json=_application_body("finance.payroll", ["record_id"],
                                                                     all_regions=value), headers=partner)
    assert 400 <= response.status_code < 500 and "all_regions" in response.text
    assert http.get("/v1/applications", headers=partner).json()["applications"] == before


def test_the_catalog_shows_every_published_dataset_s_jurisdiction_column(walk: Walk) -> None:
    from catalog.listing import export_dcat

    partner = walk.auth[partner_of("330106")]
    listed = {e["dataset"]: e for e in walk.http.get("/v1/catalog", headers=partner).json()["datasets"]}
    assert set(DATASETS) <= set(listed)
    assert all(listed[d]["region_column"] for d in DATASETS)
    for dataset in ("finance.payroll", "resources.person", "audit.findings"):
        entry = walk.http.get(f"/v1/catalog/{dataset}", headers=partner).json()
        assert entry["region_column"] == "region_code"
        assert "region_code" in {c["name"] for c in entry["columns"]}
    with walk.world.store.session() as session:
        nodes = {n["dct:identifier"]: n for n in export_dcat(session, "http://hub")["dcat:dataset"]}
    assert {nodes[d]["hub:jurisdictionColumn"] for d in DATASETS} <= {"region_code", "township_code"}
