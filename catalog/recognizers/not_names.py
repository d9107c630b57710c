# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Words that start like a Chinese name but name no person: brands and firms named after
a founder (王老吉, 李宁, 周大福 …), the shop and product words that follow a brand,
places (from the division table) and words a surname character belongs to (资金, 公积金).

Data, hand-written: no maintained package lists Chinese brands.  A candidate with a
role or title next to it (收款人李宁) is still a name; see :func:`.person.is_decoy`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from catalog.recognizers.divisions import place_words

BRANDS = (
    "王老吉", "李宁", "周大福", "马应龙", "张小泉", "陈李济", "杨国福", "周黑鸭", "王守义", "刘一手", "张裕", "吴裕泰",
    "李锦记", "谭木匠", "钱大妈", "周生生", "朱炳仁", "胡庆余堂", "黄飞红", "孔乙己", "曹操出行", "何氏", "汪氏", "王致和",
    "王麻子", "张一元", "李先生", "杨铭宇", "叶开泰", "陶陶居", "徐福记", "沈大成", "谢馥春", "王小卤", "张亮麻辣烫",
    "刘老根", "陈克明", "吴良材", "林清轩", "方回春堂", "老凤祥", "周六福", "曾五禾", "杨记兴", "马大姐", "冯了性", "田七",
    "白象", "金龙鱼", "黄鹤楼", "杜康", "孔府家", "宋河", "郎酒", "董酒", "汤臣倍健", "朱小二", "卢正浩", "戴春林",
)
# Words after a name that make it a shop, brand or product (杨国福麻辣烫, 李宁专卖店).
BRAND_TAILS = re.compile(r"[\u4e00-\u9fff]{0,2}?(?:专卖店|加盟店|旗舰店|门店|品牌|凉茶|药业|珠宝|麻辣烫|眼科|口腔|连锁|餐饮|酒业|食品|茶业|商标)")
# A doc number (杭审〔2026〕12号) or a word a surname ends (资金, 供养金名单).
DOC_BRACKET = ("〔", "[", "［")


@lru_cache(maxsize=1)
def _brands_by_first() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = defaultdict(list)
    for brand in BRANDS:
        index[brand[0]].append(brand)
    return {first: tuple(names) for first, names in index.items()}


def is_brand(text: str, start: int, end: int) -> bool:
    """A known brand starts here, or the name is followed by a shop or product word."""
    if any(text.startswith(brand, start) for brand in _brands_by_first().get(text[start], ())):
        return True
    return BRAND_TAILS.match(text, end) is not None


def is_place(text: str, start: int, end: int) -> bool:
    """A place name (邵阳, 余杭, 张家港) starts here and covers the candidate."""
    places = place_words()
    return any(text[start : start + length] in places for length in range(end - start, end - start + 3))


def is_doc_number(text: str, end: int) -> bool:
    return text.startswith(DOC_BRACKET, end)


# 金 ends money words (低保金, 供养金, 救助金, 资金, 租金 …): 供养金发放 is no 金发.
MONEY_BEFORE = frozenset("保养助贴恤奖资租押积证偿问老险付定薪酬")


def is_money_word(text: str, start: int) -> bool:
    return text[start] == "金" and start > 0 and text[start - 1] in MONEY_BEFORE
