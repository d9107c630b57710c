"""Column classification: name hints plus value samples, levels (DESIGN.md §3)."""

from __future__ import annotations

import random

from catalog.classify import classify_column, dataset_level
from tests.catalog import _identifiers as ids

RNG = random.Random(11)
NAMES = ["王秀英", "李建华", "张伟", "欧阳娜娜", "陈静", "刘志强", "赵德胜", "孙丽华", "周敏", "吴海涛"]


def test_subsidy_payment_columns() -> None:
    columns = {
        "recipient_id_number": [ids.resident_id(RNG) for _ in range(30)],
        "recipient_name": NAMES * 3,
        "recipient_phone": [ids.mobile(RNG) for _ in range(30)],
        "bank_card": [ids.bank_card(RNG) for _ in range(30)],
        "amount": ["1234.50", "800.00", "2400.00"] * 10,
        "township_code": ["330106001", "330106002"] * 15,
    }
    got = {name: classify_column(name, values) for name, values in columns.items()}
    assert got["recipient_id_number"].pii_class == "CN_RESIDENT_ID"
    assert got["recipient_name"].pii_class == "PERSON"
    assert got["recipient_phone"].pii_class == "CN_MOBILE"
    assert got["bank_card"].pii_class == "CN_BANK_CARD"
    assert got["amount"].pii_class is None and got["township_code"].pii_class is None
    assert got["recipient_id_number"].share == 1.0 and got["recipient_id_number"].confidence > 0.9
    assert got["bank_card"].recognizer == "BankCardRecognizer"
    assert dataset_level([c.level for c in got.values()]) == 3


def test_statistics_indicators_are_level_1() -> None:
    columns = {
        "region_code": ["330106", "330108"] * 10,
        "indicator_code": ["GDP", "FISCAL_REV"] * 10,
        "value": ["123.45", "67890.1"] * 10,
        "unit": ["万元", "人"] * 10,
    }
    levels = [classify_column(name, values).level for name, values in columns.items()]
    assert dataset_level(levels) == 1


def test_uscc_and_org_names_are_not_personal() -> None:
    uscc = classify_column("payee_uscc", [ids.uscc_code(RNG) for _ in range(20)])
    org = classify_column("payee_name", ["杭州西湖建设有限公司", "浙江某某科技有限公司"] * 10)
    assert uscc.pii_class == "CN_USCC" and uscc.level == 1
    assert org.pii_class is None and org.level == 1


def test_free_text_with_pii_is_level_3() -> None:
    texts = [f"物业管理服务费，经办人{n}，联系电话{ids.mobile(RNG)}" for n in NAMES] + ["办公设备采购款"] * 10
    got = classify_column("purpose_text", texts)
    assert got.free_text and got.level == 3 and got.pii_class in {"PERSON", "CN_MOBILE"}
    assert 0.4 <= got.share <= 0.6


def test_free_text_without_pii_is_flagged_but_not_personal() -> None:
    got = classify_column("summary", ["研究年度预算调整方案", "审议信息化建设外包合同"] * 5)
    assert got.free_text and got.pii_class is None and got.level == 1


def test_nulls_and_empty_columns() -> None:
    got = classify_column("recipient_phone", [None, None, ""])
    assert got.pii_class is None and got.share == 0.0


def test_full_width_and_grouped_ids_are_classified_and_graded_like_plain_ones() -> None:
    from catalog.pii_corpus.numbers import fullwidth

    plain = [ids.resident_id(RNG) for _ in range(30)]
    wide = [fullwidth(v) for v in plain]
    grouped = [f"{v[:6]} {v[6:14]} {v[14:]}" for v in plain]
    got = [classify_column("recipient_id_number", values) for values in (plain, wide, grouped)]
    assert len({(c.pii_class, c.level, c.share, c.confidence) for c in got}) == 1
    assert (got[1].pii_class, got[1].level, got[1].share) == ("CN_RESIDENT_ID", 3, 1.0) and got[1].confidence > 0.9


def test_landline_and_address_columns_are_personal() -> None:
    landlines = classify_column("office_landline", [f"0571-8{i:03d}{i:04d}" for i in range(200, 230)])
    homes = [f"杭州市西湖区文三路{i}号{i % 9 + 1}幢{i % 5 + 1}单元{i + 100}室" for i in range(30)]
    addresses = classify_column("home_address", homes)
    assert (landlines.pii_class, landlines.level) == ("CN_LANDLINE", 3)
    assert (addresses.pii_class, addresses.level, addresses.recognizer) == ("ADDRESS", 3, "AddressRecognizer")
