"""A new dataset is exchangeable only once an officer has reviewed it, with a signed statement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from catalog.entries import DatasetFacts, effective_level, effective_sharing, register
from catalog.review import ReviewRequest, resolve
from connectors import Draft
from hub import reviews
from hub.errors import BadRequest, Forbidden
from hub.events import discard
from hub.statements import StatementRefused
from hub.store import Store, open_store
from hub.store.models import Dataset, DatasetColumn, DatasetReview
from tests.officer_desk import Desk
from tests.test_workflow import Recorder

DRAFT = Draft(name_zh="城市补助", summary="城市管理局补助发放", level=2, sharing_type="conditional",
              region_column="region_code", columns={"name": "领取人姓名"})
FACTS = DatasetFacts("city.items", upstream=["staging.city_grants__items"], provider="city", draft=DRAFT,
                     primary_key=["id"])


@pytest.fixture
def store(hub_home: Path) -> Store:
    return open_store(f"sqlite:///{hub_home / 'hub.sqlite'}")


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("CREATE SCHEMA city")
    con.execute("CREATE TABLE city.items AS SELECT * FROM (VALUES (1, '张伟', '330106', 12.5),"
                " (2, '李娜', '330106', 8.0), (3, '王芳', '330102', 9.25)) t(id, name, region_code, amount)")
    yield con
    con.close()


@pytest.fixture
def desk(store: Store, warehouse: duckdb.DuckDBPyConnection) -> Desk:
    from connectors import Provider
    from hub import providers

    desk = Desk()
    with store.session() as session:
        providers.register(session, discard, Provider(code="city", name_zh="城市管理局"), "operator:test")
        desk.enrol_all(session, discard, {"city-owner": ("owner", "city"), "sec-1": ("security", None),
                                          "own-fin": ("owner", "finance")})
        register(session, warehouse, FACTS, discard)
    return desk


def _review(store: Store, desk: Desk, officer: str, req: ReviewRequest, sink=discard,  # type: ignore[no-untyped-def]
            signed_terms: dict[str, object] | None = None) -> Dataset:
    with store.session() as session:
        terms = signed_terms or resolve(session, req).terms()
        statement = desk.sign(officer, "review", reviews.target(req.dataset), terms, note="checked")
        return reviews.review(session, sink, req, statement)


def _state(store: Store) -> tuple[bool, int, str, DatasetReview | None]:
    with store.session() as session:
        ds = session.get(Dataset, "city.items")
        assert ds is not None
        return ds.exchangeable, effective_level(ds), effective_sharing(ds), session.get(DatasetReview, ds.id)


def test_a_draft_entry_waits_and_a_signed_review_makes_it_exchangeable(
    store: Store, desk: Desk, warehouse: duckdb.DuckDBPyConnection
) -> None:
    assert _state(store)[0] is False  # cataloged from the draft, classified, not exchangeable
    with store.session() as session:
        ds = session.get(Dataset, "city.items")
        assert ds is not None and (ds.name_zh, ds.layer, ds.provider) == ("城市补助", "source", "city")
        assert ds.level_inferred == 3  # `name` holds persons' names: 一般-敏感, above the draft's 2
    sink = Recorder()
    _review(store, desk, "city-owner", ReviewRequest("city.items"), sink)
    exchangeable, level, sharing, review = _state(store)
    assert (exchangeable, level, sharing) == (True, 3, "conditional")  # the draft's 2 does not loosen 3
    assert review is not None and (review.officer_id, review.region_column) == ("city-owner", "region_code")
    [event] = sink.events
    assert (event.event, event.subject, event.details["target"]) == (
        "catalog.reviewed", "officer:city-owner", "dataset:city.items")
    assert event.details["signed"][0]["kid"] == desk.signer("city-owner").kid
    with store.session() as session:  # the next refresh keeps the review
        register(session, warehouse, FACTS, discard)
    assert _state(store)[:3] == (True, 3, "conditional")


def test_the_review_tightens_and_fixes_column_classes(store: Store, desk: Desk) -> None:
    _review(store, desk, "sec-1", ReviewRequest("city.items", level=4, sharing_type="none",
                                                column_classes={"amount": "CN_BANK_CARD"}))
    assert _state(store)[1:3] == (4, "none")
    with store.session() as session:
        amount = session.get(DatasetColumn, ("city.items", "amount"))
        assert amount is not None and (amount.pii_class, amount.level) == ("CN_BANK_CARD", 3)
        assert amount.pii_recognizer == "review:officer:sec-1"


@pytest.mark.parametrize("officer, req, error, message", [
    ("own-fin", ReviewRequest("city.items"), Forbidden, "speaks for `finance`, not for `city`"),
    ("sec-1", ReviewRequest("city.items", region_column="nope"), BadRequest, "has no column `nope`"),
    ("sec-1", ReviewRequest("city.items", column_classes={"name": "SHOE_SIZE"}), BadRequest, "SHOE_SIZE"),
    ("sec-1", ReviewRequest("city.items", level=7), BadRequest, "level 7 must be between 1 and 5"),
    ("sec-1", ReviewRequest("staging.nothing"), Exception, "not in the catalog"),
])
def test_a_bad_review_is_refused_and_changes_nothing(store: Store, desk: Desk, officer: str, req: ReviewRequest,
                                                     error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        _review(store, desk, officer, req)
    assert _state(store)[0] is False and _state(store)[3] is None


def test_a_statement_over_other_terms_is_refused(store: Store, desk: Desk) -> None:
    signed = {"dataset": "city.items", "level": 1, "sharing_type": "unconditional", "region_column": None,
              "column_classes": {}}
    with pytest.raises(StatementRefused):
        _review(store, desk, "city-owner", ReviewRequest("city.items"), signed_terms=signed)
    assert _state(store)[0] is False


def test_a_raw_layer_is_never_reviewed(store: Store, desk: Desk, warehouse: duckdb.DuckDBPyConnection) -> None:
    warehouse.execute("CREATE SCHEMA raw_city_grants")
    warehouse.execute("CREATE TABLE raw_city_grants.items AS SELECT * FROM city.items")
    with store.session() as session:
        register(session, warehouse, DatasetFacts("raw_city_grants.items", provider="city"), discard)
        with pytest.raises(BadRequest, match="raw layer: never exchanged"):
            resolve(session, ReviewRequest("raw_city_grants.items"))
