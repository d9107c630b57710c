# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Numbers people write into free text, in the forms clerks type them.

Each generator returns one value already formatted (plain, grouped with spaces or
hyphens, full-width, with +86, in brackets …), drawn from the shares below.  Check
characters are computed (GB 11643 by python-stdnum's ``cn.ric``, Luhn, GB 32100), so
every value that is meant to be valid is valid; the ``bad_*`` decoys are not.
Independent of the detector on purpose: nothing here imports ``catalog.recognizers``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from stdnum import luhn
from stdnum.cn import ric, uscc

# Real county codes (birthplaces), Zhejiang-heavy like the sandbox, plus the rest of the country.
BIRTHPLACES = (
    "330106", "330102", "330105", "330108", "330110", "330127", "330182", "330203", "330302", "330402",
    "330502", "330602", "330702", "331002", "110105", "110108", "310104", "310115", "320102", "320583",
    "340104", "350203", "360102", "370202", "410105", "420106", "430104", "440305", "440106", "450102",
    "510107", "520102", "530102", "532301", "540102", "542621", "150102", "152502", "650102", "653101",
    "622901", "632801", "230102", "210102", "130104", "140105", "610113", "640104", "460105", "500103",
)
CARD_BINS = (  # (issuer prefix, length) of common debit and credit cards
    ("622202", 19), ("622848", 19), ("621700", 19), ("623052", 19), ("621226", 19), ("622588", 16),
    ("622262", 19), ("621661", 19), ("625911", 16), ("436742", 16), ("622700", 19), ("621799", 19),
    ("622908", 18), ("601382", 19), ("955880", 19), ("628288", 16), ("524047", 16), ("622155", 16),
)
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182",
    "183", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
)
# Area codes and the length of their local numbers (most cities 8 digits, smaller ones 7).
AREA_CODES = (
    ("010", 8), ("021", 8), ("022", 8), ("023", 8), ("020", 8), ("025", 8), ("027", 8), ("028", 8), ("029", 8),
    ("0571", 8), ("0572", 7), ("0573", 8), ("0574", 8), ("0575", 8), ("0576", 8), ("0577", 8), ("0579", 8),
    ("0570", 7), ("0580", 7), ("0578", 7), ("0591", 8), ("0592", 7), ("0731", 8), ("0371", 8), ("0531", 8),
    ("0551", 8), ("0791", 8), ("0871", 8), ("0891", 7), ("0991", 7), ("0471", 7), ("0931", 7), ("0951", 7),
    ("0898", 8), ("0755", 8), ("0769", 8), ("0512", 8), ("0510", 8), ("0311", 8), ("0351", 7), ("0431", 8),
)
FULL = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-+()"})


def fullwidth(text: str) -> str:
    """``text`` with ASCII digits, letters, hyphens, plus signs and brackets in full width."""
    return text.translate(FULL)


def pick(rng: random.Random, shares: Mapping[str, float]) -> str:
    """One key of ``shares``, drawn by weight."""
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def raw_resident_id(rng: random.Random) -> str:
    """A valid 18-character resident ID (born 1935–2012)."""
    born = f"{rng.randint(1935, 2012)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    first17 = rng.choice(BIRTHPLACES) + born + digits(rng, 3)
    return first17 + ric.calc_check_digit(first17 + "0")  # stdnum expects the number with a check slot


ID_FORMS = {"plain": 60, "x": 6, "fullwidth": 9, "s684": 5, "h684": 5, "s6444": 5, "legacy15": 4, "mixed": 3, "lowerx": 3}


def resident_id(rng: random.Random, form: str | None = None) -> tuple[str, str]:
    """``(value, form)``: a resident ID as written (legacy 15-digit IDs only where 身份证 is said)."""
    form = form or pick(rng, ID_FORMS)
    value = raw_resident_id(rng)
    if form in ("x", "lowerx"):
        while value[-1] != "X":
            value = raw_resident_id(rng)
        value = value if form == "x" else value[:-1] + "x"
    if form == "legacy15":
        value = value[:6] + value[8:17]
    elif form == "fullwidth":
        value = fullwidth(value)
    elif form == "s684":
        value = f"{value[:6]} {value[6:14]} {value[14:]}"
    elif form == "h684":
        value = f"{value[:6]}-{value[6:14]}-{value[14:]}"
    elif form == "s6444":
        value = f"{value[:6]} {value[6:10]} {value[10:14]} {value[14:]}"
    elif form == "mixed":  # half the digits typed in full width
        cut = rng.randint(4, 14)
        value = fullwidth(value[:cut]) + value[cut:]
    return value, form


def raw_card(rng: random.Random) -> str:
    prefix, length = rng.choice(CARD_BINS)
    body = prefix + digits(rng, length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


CARD_FORMS = {"plain": 55, "s4": 12, "h4": 6, "fullwidth": 9, "s6rest": 8, "s4full": 3}


def bank_card(rng: random.Random, form: str | None = None) -> tuple[str, str]:
    """``(value, form)``: a Luhn-valid card number as written."""
    form = form or pick(rng, CARD_FORMS)
    value = raw_card(rng)
    fours = [value[i : i + 4] for i in range(0, len(value), 4)]
    if form == "s4":
        value = " ".join(fours)
    elif form == "h4":
        value = "-".join(fours)
    elif form == "fullwidth":
        value = fullwidth(value)
    elif form == "s6rest":
        value = value[:6] + " " + value[6:]
    elif form == "s4full":
        value = fullwidth(" ".join(fours)).replace(" ", "\u3000")
    return value, form


MOBILE_FORMS = {"plain": 62, "h344": 6, "s344": 6, "fullwidth": 9, "s434": 4, "plus86": 5, "0086": 2, "plus86s": 3, "86h": 3}


def mobile(rng: random.Random, form: str | None = None) -> tuple[str, str]:
    """``(value, form)``: a mobile number with an allocated prefix, as written."""
    form = form or pick(rng, MOBILE_FORMS)
    value = rng.choice(MOBILE_PREFIXES) + digits(rng, 8)
    a, b, c = value[:3], value[3:7], value[7:]
    out = {
        "plain": value,
        "h344": f"{a}-{b}-{c}",
        "s344": f"{a} {b} {c}",
        "fullwidth": fullwidth(value),
        "s434": f"{value[:4]} {value[4:7]} {value[7:]}",
        "plus86": "+86" + value,
        "0086": "0086-" + value,
        "plus86s": f"+86 {a} {b} {c}",
        "86h": "86-" + value,
    }[form]
    return out, form


LANDLINE_FORMS = {"hyphen": 45, "paren": 12, "fullparen": 10, "ext": 8, "fullhyphen": 7, "space": 6, "plain": 6, "hyphenext": 4, "fullwidth": 2}


def landline(rng: random.Random, form: str | None = None) -> tuple[str, str]:
    """``(value, form)``: a fixed-line number with its area code, as written (extensions included)."""
    form = form or pick(rng, LANDLINE_FORMS)
    area, length = rng.choice(AREA_CODES)
    local = rng.choice("2345678") + digits(rng, length - 1)
    ext = str(rng.randint(100, 8999))
    out = {
        "hyphen": f"{area}-{local}",
        "paren": f"({area}){local}",
        "fullparen": f"（{area}）{local}",
        "ext": f"{area}-{local}{rng.choice(['转', '转', '分机'])}{ext}",
        "fullhyphen": f"{area}－{local}",
        "space": f"{area} {local[:-4]} {local[-4:]}",
        "plain": area + local,
        "hyphenext": f"{area}-{local}-{ext}",
        "fullwidth": fullwidth(f"{area}-{local}"),
    }[form]
    return out, form


def passport(rng: random.Random) -> tuple[str, str]:
    """``(value, form)``: an ordinary passport number (E/G + 8 digits, or E + letter + 7)."""
    form = pick(rng, {"e8": 60, "el7": 25, "g8": 10, "fullwidth": 5})
    if form == "el7":
        return "E" + rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + digits(rng, 7), form
    value = ("G" if form == "g8" else "E") + str(rng.randint(1, 9)) + digits(rng, 7)
    return (fullwidth(value) if form == "fullwidth" else value), form


def uscc_code(rng: random.Random) -> tuple[str, str]:
    """``(value, form)``: a valid unified social credit code (enterprises 91…, institutions 12…)."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = rng.choice(["91", "91", "91", "12", "52", "93"]) + rng.choice(BIRTHPLACES)
    body += "".join(rng.choice(alphabet) for _ in range(9))
    value = body + uscc.calc_check_digit(body)
    return (fullwidth(value), "fullwidth") if rng.random() < 0.06 else (value, "plain")


PLATE_PROVINCES = "浙浙浙浙苏沪皖赣闽京粤川鄂湘豫鲁新藏蒙"


def plate(rng: random.Random) -> tuple[str, str]:
    """``(value, form)``: a licence plate, ordinary or new-energy, sometimes with a dot or space."""
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    head = rng.choice(PLATE_PROVINCES) + rng.choice("ABCDEFGHJK")
    form = pick(rng, {"plain": 60, "dot": 15, "space": 10, "newenergy": 15})
    tail = "".join(rng.choice("0123456789" if i != 1 or rng.random() < 0.7 else letters) for i in range(5))
    if form == "newenergy":
        tail = rng.choice("DF") + rng.choice(letters + "0123456789") + digits(rng, 4)
    sep = {"dot": "·", "space": " "}.get(form, "")
    return head + sep + tail, form


def email(rng: random.Random) -> tuple[str, str]:
    """``(value, form)``: an e-mail address on a common domain."""
    user = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8)))
    user += rng.choice(["", str(rng.randint(1, 99)), "." + rng.choice(["li", "wang", "zhang", "chen"])])
    return f"{user}@{rng.choice(['qq.com', '163.com', '126.com', 'hz.gov.cn', 'sina.com', 'zj.gov.cn'])}", "plain"


# ---- decoys: numbers that are not personal information ----

def bad_resident_id(rng: random.Random) -> str:
    """An ID-shaped number whose check character is wrong."""
    good = raw_resident_id(rng)
    return good[:17] + rng.choice([c for c in "0123456789" if c != good[-1]])


def amount_11(rng: random.Random) -> str:
    """An amount with 11 digits before 元 that starts like a mobile (13…, 15…, 18…)."""
    value = rng.choice(["13", "15", "18", "17"]) + digits(rng, 9)
    return value + rng.choice(["元", ".00元", "元整", ".50元"])


def order_number(rng: random.Random) -> str:
    """A system reference: order, voucher or contract number."""
    kind = rng.choice(["订单号", "凭证号", "流水号", "合同编号", "工单号", "发票号码"])
    return kind + rng.choice(["", "：", " "]) + rng.choice(["2026", "2025"]) + digits(rng, rng.choice([8, 12, 14]))


def hotline(rng: random.Random) -> str:
    """An organisation's service number (not personal)."""
    return rng.choice([
        "12345", "12315", "12388", "12366", "95588", "95533", "95599", "96345", "110", "12319",
        f"400-{digits(rng, 3)}-{digits(rng, 4)}", f"400{digits(rng, 7)}", f"800-{digits(rng, 3)}-{digits(rng, 4)}",
    ])


def amount(rng: random.Random) -> str:
    """A money amount as clerks write it."""
    return rng.choice([
        f"{rng.randint(100, 99999)}.{rng.randint(0, 99):02d}元", f"{rng.randint(1, 999)}.{rng.randint(1, 9)}万元",
        f"{rng.randint(1000, 9999999)}元", f"{rng.randint(2, 90)}万元",
    ])


def doc_number(rng: random.Random) -> str:
    """A document number (文号)."""
    return f"{rng.choice(['浙财预', '杭审', '西民', '淳政办', '财社'])}〔{rng.randint(2019, 2026)}〕{rng.randint(1, 200)}号"
