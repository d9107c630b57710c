"""Each recognizer: valid/invalid check characters, formats, digit runs, Chinese adjacency, decoys."""

from __future__ import annotations

import random

import pytest

from catalog.pii import scan
from catalog.recognizers import is_resident_id, resident_id_check_char
from tests.catalog import _identifiers as ids

RNG = random.Random(5)
ID = ids.resident_id(RNG)
ID_X = ids.resident_id_with_x(RNG)
ID_LX = ids.resident_id_with_x(RNG, lower_x=True)
CARD = ids.bank_card(RNG)
CARD16 = ids.bank_card(RNG, 16)
USCC = ids.uscc_code(RNG)
PHONE = ids.mobile(RNG)


def found(text: str) -> set[tuple[str, str]]:
    return {(e.type, text[e.start : e.end]) for e in scan(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"身份证号{ID}，", ("CN_RESIDENT_ID", ID)),
        (f"证件{ID_X}已核验", ("CN_RESIDENT_ID", ID_X)),
        (f"身份证{ID_LX}", ("CN_RESIDENT_ID", ID_LX)),
        (f"{ID[:6]} {ID[6:14]} {ID[14:]}", ("CN_RESIDENT_ID", f"{ID[:6]} {ID[6:14]} {ID[14:]}")),
        (f"信用代码{USCC}。", ("CN_USCC", USCC)),
        (f"卡号{CARD}", ("CN_BANK_CARD", CARD)),
        (f"借记卡{ids.grouped(CARD16)}收款", ("CN_BANK_CARD", ids.grouped(CARD16))),
        (f"账号{ids.grouped(CARD, '-')}", ("CN_BANK_CARD", ids.grouped(CARD, "-"))),
        (f"电话{PHONE}联系", ("CN_MOBILE", PHONE)),
        (f"手机{PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}", ("CN_MOBILE", f"{PHONE[:3]}-{PHONE[3:7]}-{PHONE[7:]}")),
        (f"手机{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}", ("CN_MOBILE", f"{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}")),
        (f"请拨+86{PHONE}", ("CN_MOBILE", f"+86{PHONE}")),
        (f"请拨0086 {PHONE}", ("CN_MOBILE", f"0086 {PHONE}")),
        ("邮箱zhang.san@hz.gov.cn联系", ("EMAIL", "zhang.san@hz.gov.cn")),
        ("护照号E12345678", ("CN_PASSPORT", "E12345678")),
        ("护照EA1234567已过期", ("CN_PASSPORT", "EA1234567")),
        ("公务护照S1234567", ("CN_PASSPORT", "S1234567")),
        ("车牌浙A12345停在院内", ("CN_LICENSE_PLATE", "浙A12345")),
        ("新能源车粤BD12345", ("CN_LICENSE_PLATE", "粤BD12345")),
        ("货车粤B12345F", ("CN_LICENSE_PLATE", "粤B12345F")),
        ("举报人张伟反映", ("PERSON", "张伟")),
        ("法定代表人欧阳明辉签字", ("PERSON", "欧阳明辉")),
        ("收款人王秀英，", ("PERSON", "王秀英")),
        ("陈静女士来电", ("PERSON", "陈静")),
        ("民政局向麻楠坤重复发放低保金", ("PERSON", "麻楠坤")),  # jieba glues 向 to the name
        ("原承租人黄龙娟，联系电话", ("PERSON", "黄龙娟")),  # 黄龙 is a frequent word
        ("采购款，验收人马鹏芳 签字", ("PERSON", "马鹏芳")),  # jieba glues 人马
        ("许凤兰称自己不知情", ("PERSON", "许凤兰")),
        ("座机0571-87654321", ("CN_LANDLINE", "0571-87654321")),  # issue 24: landlines are personal
    ],
)
def test_detects(text: str, expected: tuple[str, str]) -> None:
    assert expected in found(text)


@pytest.mark.parametrize(
    "text",
    [
        f"身份证号{ids.bad_resident_id(RNG)}",  # wrong check character
        f"信用代码{ids.bad_uscc(RNG)}",  # wrong USCC check character
        f"卡号{ids.bad_bank_card(RNG)}",  # Luhn fails
        f"编号9{ID}1",  # ID inside a longer digit run
        f"流水9{CARD}",  # card inside a longer digit run
        f"代码{PHONE}88",  # mobile inside a longer digit run
        "订单号202603150001234567",
        "金额1234567.89元",
        "日期2026-03-15和20260315",
        "护照号之外的编号S1234567X",
        "车牌浙I12345",  # no I on plates
        "文明城市创建工作稳步推进，阳光政务平台上线。",
        "高新区管委会和江南街道办事处联合发文。",
        "王家村、李家庄两个村存在重复申报问题。",
        "某公司向王某某支付劳务费",
        "西湖区文一西路9号商业用房",
        "戴硕电子科技有限公司决算报告",
        "明确整改责任人和完成时限",
        "客服热线0571-87654321，投诉请拨12345或400-800-1234",
        "西湖区民政局和淳安县千岛湖镇人民政府联合发文",
        "文三路沿线综合整治工程",
        "购买王老吉凉茶和李宁运动服，在周大福门店付款",
        "涉及金额13800000000元和15912345678.50元",
    ],
)
def test_ignores_decoys(text: str) -> None:
    assert found(text) == set(), text


def test_mobile_amount_is_not_a_phone() -> None:
    assert found(f"合计{PHONE}.50元") == set()


def test_legacy_15_digit_id_needs_context() -> None:
    legacy = ID[:6] + ID[8:17]
    assert ("CN_RESIDENT_ID", legacy) in found(f"身份证号码{legacy}")
    assert found(f"参考值{legacy}") == set()


def test_card_with_order_context_is_not_a_card() -> None:
    assert found(f"订单号{CARD}") == set()


def test_check_char_is_iso_7064() -> None:
    assert resident_id_check_char("11010519491231002") == "X"
    assert is_resident_id("11010519491231002X") and is_resident_id("11010519491231002x")
    assert not is_resident_id("110105194912310021")


def test_future_birth_date_is_not_an_id() -> None:
    first17 = "110105" + "20991231" + "123"
    assert not is_resident_id(first17 + resident_id_check_char(first17))


def test_unknown_province_is_not_an_id() -> None:
    first17 = "990105" + "19900101" + "123"
    assert not is_resident_id(first17 + resident_id_check_char(first17))


def test_offsets_are_characters() -> None:
    text = f"举报人张伟（身份证{ID}）"
    entity = next(e for e in scan(text) if e.type == "CN_RESIDENT_ID")
    assert text[entity.start : entity.end] == ID


def test_memoised_tagger_matches_jieba_posseg() -> None:
    import jieba.posseg

    from catalog.recognizers.nlp import JiebaNlpEngine

    engine = JiebaNlpEngine()
    text = "举报人欧阳娜娜反映，村主任李建华向孙丽华重复发放补贴；李建华签字。"
    words = engine.process_text(text, "zh").words  # type: ignore[attr-defined]
    assert [(w, t) for w, t, _ in words] == [(p.word, p.flag) for p in jieba.posseg.cut(text)]
    assert all(text[at : at + len(w)] == w for w, _, at in words)


def test_fast_viterbi_equals_jiebas() -> None:
    import re

    import jieba.posseg
    from jieba.posseg import char_state_tab_P, emit_P, start_P, trans_P
    from jieba.posseg.viterbi import viterbi as jieba_viterbi

    from catalog.pii_corpus import generate
    from catalog.recognizers.viterbi import viterbi

    jieba.posseg.dt.initialize()
    runs = {run for e in generate(150, 17) for run in re.findall("[\u4e00-\u9fd5]{2,10}", e.text)}
    for run in sorted(runs)[:300]:
        assert viterbi(run) == jieba_viterbi(run, char_state_tab_P, start_P, trans_P, emit_P), run
