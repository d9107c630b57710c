# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""What fills each ``{slot}`` of a genre template: gold entities, decoys and plain fillers.

A filler returns pieces ``(text, type, family)``: ``type`` is the gold entity type or
``None``; ``family`` names the variant (``fullwidth``, ``h684``, ``uyghur`` …) so
results can be broken down by the forms the issue lists.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from catalog.pii_corpus import numbers, people, places

Piece = tuple[str, str | None, str]
Filler = Callable[[random.Random, str], list[Piece]]

UNITS = (
    "西湖区民政局", "淳安县财政局", "某街道办事处", "区残联", "县社保中心", "某镇人民政府", "市住房保障中心", "区农业农村局",
    "县教育局", "某村经济合作社", "区城管局", "县卫健局", "市人力社保局", "某国有企业", "区审计局",
)
ITEMS = ("办公设备", "物业管理", "信息化建设", "道路养护", "绿化养护", "印刷", "培训", "工程监理", "软件运维", "食堂食材", "安保服务")
PROGRAMS = ("低保金", "特困供养金", "高龄津贴", "耕地地力保护补贴", "残疾人护理补贴", "临时救助金", "养老服务补贴")
BANKS = ("农业银行", "农商银行", "工商银行", "建设银行", "邮储银行", "中国银行")
RELATIONS = ("儿子", "女儿", "配偶", "孙子", "侄子", "儿媳", "母亲")
ORGS = ("杭州中诚建设工程有限公司", "湖州吴兴数据科技有限公司", "浙江省邮电印刷厂", "西湖区物业管理中心", "某劳务派遣公司", "某信息技术有限公司")


def _one(kind: str, make: Callable[[random.Random], tuple[str, str]]) -> Filler:
    def fill(rng: random.Random, before: str) -> list[Piece]:
        value, family = make(rng)
        return [(value, kind, family)]
    return fill


def _resident_id(rng: random.Random, before: str) -> list[Piece]:
    said = any(word in before[-10:] for word in ("身份证", "证件号"))
    form = None if said else numbers.pick(rng, {k: v for k, v in numbers.ID_FORMS.items() if k != "legacy15"})
    value, family = numbers.resident_id(rng, form)
    return [(value, "CN_RESIDENT_ID", family)]


def _person(family: str | None) -> Filler:
    def fill(rng: random.Random, before: str) -> list[Piece]:
        name, got = people.person(rng, family)
        return [(name, "PERSON", got if not before.endswith(("：", ":")) else got + "_label")]
    return fill


def _names(rng: random.Random, before: str) -> list[Piece]:
    pieces: list[Piece] = []
    for i in range(rng.randint(2, 4)):
        if i:
            pieces.append(("、", None, ""))
        name, family = people.person(rng)
        pieces.append((name, "PERSON", family + "_list"))
    return pieces


def _decoy(make: Callable[[random.Random], str], family: str) -> Filler:
    return lambda rng, before: [(make(rng), None, family)]


def _filler(make: Callable[[random.Random], object]) -> Filler:
    return lambda rng, before: [(str(make(rng)), None, "")]


def _date(rng: random.Random) -> str:
    return rng.choice([
        f"{rng.randint(2019, 2026)}年{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
        f"{rng.randint(2019, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
    ])


SLOTS: dict[str, Filler] = {
    "name": _person(None), "uyghur": _person("uyghur"), "tibetan": _person("tibetan"), "mongol": _person("mongolian"),
    "foreign": _person("foreign"), "names": _names,
    "id": _resident_id, "mobile": _one("CN_MOBILE", numbers.mobile), "landline": _one("CN_LANDLINE", numbers.landline),
    "card": _one("CN_BANK_CARD", numbers.bank_card), "passport": _one("CN_PASSPORT", numbers.passport),
    "uscc": _one("CN_USCC", numbers.uscc_code), "plate": _one("CN_LICENSE_PLATE", numbers.plate),
    "email": _one("EMAIL", numbers.email),
    "addr": _one("ADDRESS", lambda rng: (places.address(rng), "address")),
    "saddr": _one("ADDRESS", lambda rng: (places.street_address(rng), "street")),
    "vaddr": _one("ADDRESS", lambda rng: (places.village_address(rng), "village")),
    "~amount": _decoy(numbers.amount, "amount"), "~amount11": _decoy(numbers.amount_11, "amount11"),
    "~order": _decoy(numbers.order_number, "order"), "~hotline": _decoy(numbers.hotline, "hotline"),
    "~doc": _decoy(numbers.doc_number, "doc"), "~brand": _decoy(people.brand, "brand"),
    "~anon": _decoy(people.anonymised, "anonymised"), "~place": _decoy(people.place_name, "place"),
    "~agency": _decoy(places.agency, "agency"), "~road": _decoy(places.road_only, "road"),
    "~asset": _decoy(places.asset_address, "asset"), "~org": _decoy(lambda rng: rng.choice(ORGS), "org"),
    "~badid": _decoy(numbers.bad_resident_id, "bad_id"), "~nameword": _decoy(people.name_word, "nameword"),
    "date": _filler(_date), "unit": _filler(lambda rng: rng.choice(UNITS)), "sex": _filler(lambda rng: rng.choice("男女")),
    "age": _filler(lambda rng: rng.randint(19, 93)), "year": _filler(lambda rng: rng.randint(2018, 2026)),
    "k": _filler(lambda rng: rng.randint(2, 36)), "item": _filler(lambda rng: rng.choice(ITEMS)),
    "program": _filler(lambda rng: rng.choice(PROGRAMS)), "bank": _filler(lambda rng: rng.choice(BANKS)),
    "relation": _filler(lambda rng: rng.choice(RELATIONS)), "area": _filler(lambda rng: f"{rng.randint(1, 40)}.{rng.randint(0, 9)}"),
}
