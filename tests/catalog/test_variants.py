# ruff: noqa: E501  (CJK text counts double-width)
"""Every variant family of issue 24, found with exact offsets into the original text.

Values come from the corpus generator's own formatters (``catalog.pii_corpus.numbers``)
with a fixed seed, one test per family, embedded between Chinese words.
"""

from __future__ import annotations

import random

import pytest

from catalog import redact
from catalog.pii import scan
from catalog.pii_corpus import numbers

SEED = 240


def spans(text: str) -> set[tuple[str, int, int]]:
    return {(e.type, e.start, e.end) for e in scan(text)}


def exact(kind: str, before: str, value: str, after: str) -> None:
    text = before + value + after
    assert (kind, len(before), len(before) + len(value)) in spans(text), (text, scan(text))


@pytest.mark.parametrize("form", sorted(numbers.ID_FORMS))
def test_resident_id_forms(form: str) -> None:
    for i in range(5):
        value, _ = numbers.resident_id(random.Random(SEED + i), form)
        exact("CN_RESIDENT_ID", "经核实，申请人身份证号码", value, "，户籍在本村。")


@pytest.mark.parametrize("form", sorted(numbers.CARD_FORMS))
def test_bank_card_forms(form: str) -> None:
    for i in range(5):
        value, _ = numbers.bank_card(random.Random(SEED + i), form)
        exact("CN_BANK_CARD", "补贴打入农商银行卡号", value, "，已到账。")


@pytest.mark.parametrize("form", sorted(numbers.MOBILE_FORMS))
def test_mobile_forms(form: str) -> None:
    for i in range(5):
        value, _ = numbers.mobile(random.Random(SEED + i), form)
        exact("CN_MOBILE", "联系人王秀英，手机", value, "。")


@pytest.mark.parametrize("form", sorted(numbers.LANDLINE_FORMS))
def test_landline_forms(form: str) -> None:
    for i in range(5):
        value, _ = numbers.landline(random.Random(SEED + i), form)
        exact("CN_LANDLINE", "办公电话：", value, "，工作日接听。")


def test_passport_uscc_and_plate_in_full_width() -> None:
    exact("CN_PASSPORT", "护照号码", numbers.fullwidth("E12345678"), "已过期")
    value, _ = numbers.uscc_code(random.Random(SEED))
    exact("CN_USCC", "统一社会信用代码", numbers.fullwidth(value), "。")
    exact("CN_LICENSE_PLATE", "车辆", "浙A·12345", "停在院内")


@pytest.mark.parametrize(
    ("before", "value", "after"),
    [
        ("家住", "杭州市西湖区文三路90号东方花园3幢2单元501室", "，联系电话"),
        ("住址：", "上海市黄浦区建国中路155弄12号602室", "。"),
        ("现住", "北京市朝阳区安立路6号院3号楼1单元102", "。"),
        ("户籍地", "淳安县千岛湖镇青溪村3组", "，身份证号"),
        ("系", "浙江省杭州市淳安县姜家镇郭村村第五村民小组", "村民。"),
        ("户籍", "开化县城关镇东山村下坞自然村", "。"),
        ("寄至", "浙江杭州西湖区古墩路８８号", "，收件人"),
        ("住", "拱墅区湖墅南路3号和睦新村12-2-301", "。"),
    ],
)
def test_address_forms(before: str, value: str, after: str) -> None:
    exact("ADDRESS", before, value, after)


@pytest.mark.parametrize(
    "text",
    [
        "请将材料报送西湖区民政局。",
        "淳安县千岛湖镇人民政府已复函。",
        "文三路沿线综合整治工程于2026年完工。",
        "西湖区文一西路9号商业用房低价出租。",
        "王家村、李家庄两个村存在重复申报问题。",
    ],
)
def test_place_names_alone_are_not_addresses(text: str) -> None:
    assert not any(kind == "ADDRESS" for kind, _, _ in spans(text)), scan(text)


@pytest.mark.parametrize(
    ("before", "name", "after"),
    [
        ("举报人", "买买提·艾力", "反映"),
        ("收款人", "阿依古丽•吐尔逊", "，身份证"),
        ("经查，", "热合曼・阿不都拉", "称其不知情"),
        ("外籍人员", "约翰·史密斯", "（护照号E12345678）"),
        ("调查人员找到", "扎西多吉", "，其本人手机"),
        ("户主", "次仁卓玛", "，家庭人口3人"),
        ("会议听取了", "巴特尔", "同志的汇报"),
        ("户主", "乌云其木格", "，牧民补贴"),
        ("出席：李刚、", "欧阳明辉", "、王芳。"),
        ("姓名：", "陈静", "，性别：女"),
    ],
)
def test_name_forms(before: str, name: str, after: str) -> None:
    exact("PERSON", before, name, after)


def test_names_in_a_list_are_each_found() -> None:
    text = "参会人员：张伟、格桑拉姆、阿迪力·吾买尔、李秀英。"
    found = {text[s:e] for kind, s, e in spans(text) if kind == "PERSON"}
    assert {"张伟", "格桑拉姆", "阿迪力·吾买尔", "李秀英"} <= found


@pytest.mark.parametrize(
    "text",
    [
        "采购王老吉凉茶二十箱。",
        "李宁专卖店门口堆放杂物。",
        "在周大福门店购买金饰。",
        "马应龙药业的货款已结清。",
        "经查，张某某与王某存在关联。",
        "资金拨付至邵阳，用于困难家庭救助。",
        "按杭审〔2026〕12号规定执行。",
        "特困供养金发放情况良好。",
    ],
)
def test_name_decoys_are_not_persons(text: str) -> None:
    assert not any(kind == "PERSON" for kind, _, _ in spans(text)), scan(text)


def test_amounts_are_not_phones_and_hotlines_not_landlines() -> None:
    assert spans("资金总额13500000000元，另有15723456789.00元未入账。") == set()
    assert spans("请拨打12345或95588，也可拨打400-820-8820。") == set()


def test_a_grouped_card_next_to_a_grouped_id_and_an_amount() -> None:
    card, _ = numbers.bank_card(random.Random(1), "s4")
    idn, _ = numbers.resident_id(random.Random(2), "s6444")
    text = f"卡号{card} {idn} 57.7万元"
    found = spans(text)
    assert ("CN_BANK_CARD", 2, 2 + len(card)) in found
    assert ("CN_RESIDENT_ID", 3 + len(card), 3 + len(card) + len(idn)) in found


def test_context_decides_an_18_digit_number_valid_as_card_and_id() -> None:
    from stdnum import luhn

    from catalog.recognizers import is_resident_id

    rng = random.Random(9)
    while True:  # a 62… number that passes Luhn and is also a valid resident ID (Gansu, 62)
        value = f"6201021990{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 9999):04d}"
        if is_resident_id(value) and luhn.is_valid(value):
            break
    assert ("CN_BANK_CARD", 4, 22) in spans(f"银行卡号{value}")
    assert ("CN_RESIDENT_ID", 5, 23) in spans(f"身份证号码{value}")


@pytest.mark.parametrize("form", ["fullwidth", "s4full", "s6rest"])
def test_redaction_removes_exactly_the_original_characters(form: str) -> None:
    card, _ = numbers.bank_card(random.Random(SEED), form)
    phone, _ = numbers.mobile(random.Random(SEED), "fullwidth")
    text = f"户主王秀英，卡号{card}，手机{phone}，住西湖区文三路９０号。"
    assert redact.redact_text(text) == "户主<PERSON>，卡号<CN_BANK_CARD>，手机<CN_MOBILE>，住<ADDRESS>。"
