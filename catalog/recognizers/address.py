# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""ADDRESS: a home address (住址) — divisions, then the street or village part.

An address starts with a chain of administrative divisions found in the division
table (:mod:`.divisions`: 浙江省杭州市西湖区, 浙江杭州, 淳安县千岛湖镇 …), or right
after a word that introduces one (家住, 住址, 现住 …), and must go on to a street or
village part that ends in something a person lives at: a house number, building,
unit or room (…路90号东方花园3幢2单元501室, …弄12号, …号院3号楼), a village (…村),
a group (3组, 第五村民小组) or a natural village (…自然村).  A place name alone
(西湖区民政局, 文三路沿线) is no address, and neither is an organisation's property
(…号商业用房, …仓库).  Hand-written: no maintained package finds addresses in
running text (jionlp's parser takes an address already cut out).
"""

from __future__ import annotations

import re

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from catalog.recognizers._base import LANGUAGE, view
from catalog.recognizers.divisions import division_names, lengths_by_first

# Words ending in 村 that name no village (农村, 本村 …); 某村 is already anonymised.
NOT_VILLAGE = r"(?:[\u4e00-\u9fff]{0,4}?(?:农|乡|渔)村|[全本该各每邻同外驻进入下到某]村)"
HAN = r"(?:(?![村镇乡号组室幢栋楼的了在是为等将向于对从、，。；：（）()])[\u4e00-\u9fff])"
NUM = r"(?:[0-9]+|[一二三四五六七八九十百零〇两]{1,3})"
# (kind, pattern, ends an address) in the order they are tried at each position
COMPONENTS = (
    ("unit", re.compile(r"[0-9]+(?:单元|号楼|幢|栋|座)"), True),
    ("number", re.compile(r"[0-9]+(?:号院|弄|号|室|层)"), True),
    ("compact", re.compile(r"[0-9]+(?:-[0-9]+){1,3}(?:室|号)?(?![0-9])"), True),
    ("group", re.compile(rf"第?{NUM}(?:村民小组|组|队)"), True),
    ("natural", re.compile(rf"{HAN}{{1,5}}?自然村"), True),
    ("village", re.compile(rf"(?!{NOT_VILLAGE}){HAN}{{1,6}}?(?:村村(?![通民委])|村|社区)(?![委民务级局办部所站厅])"), True),
    ("road", re.compile(rf"{HAN}{{1,7}}?(?:大道|大街|路|街|巷|胡同)(?![道])"), False),
    ("estate", re.compile(rf"{HAN}{{2,8}}?(?:小区|花园|公寓|大厦|家园|新村|苑|园|广场|华庭|新城|公馆|府|庭|湾|[一二三四五六七八九十]区)"), False),
    ("town", re.compile(rf"{HAN}{{1,5}}?(?:镇|乡|街道)"), False),
    ("named", re.compile(rf"{HAN}{{2,6}}?(?=[0-9])"), False),  # an estate without a usual ending, before its building number
)
ROOM = re.compile(r"[0-9]{3,4}(?:室|户)?(?![0-9])")
TOWN_START = re.compile(r"(?:(?![系住址居在于至村镇乡的了是为])[\u4e00-\u9fff]){1,4}?(?:镇|乡)(?=[\u4e00-\u9fff]{1,6}?村)")
# An unknown township may start an address only after punctuation or one of these words.
BOUNDARY = frozenset("，。；：:,;、（）() \n在于系至")
INTRO = re.compile(r"(?:家住|住址|地址|住在|现住|居住在|居住于|户籍地址|户籍地|户籍|寄至|住)[:：为是在于 ]?")
PROPERTY_AFTER = re.compile(r"(?:的)?(?:沿街)?(?:商业用房|仓库|厂房|办公用房|门面|商铺|地块|用房|车库|附属设施)")
CHAIN_SCORE = 0.75
INTRO_SCORE = 0.6


def _division_end(text: str, at: int) -> int:
    """End of the longest division name starting at ``at`` (-1 when none does)."""
    names = division_names()
    for length in lengths_by_first().get(text[at], ()):
        if text[at : at + length] in names:
            return at + length
    return -1


def _chain_end(text: str, at: int) -> int:
    """End of a run of division names starting at ``at`` (-1 when none starts there)."""
    end = _division_end(text, at)
    while end > 0:
        following = _division_end(text, end)
        if following < 0:
            break
        end = following
    return end


def _tail_end(text: str, at: int, needs_place: bool) -> int:
    """End of the street or village part from ``at`` (-1 when it never reaches a house, village or group)."""
    last, previous, place = -1, "", False
    while at < len(text):
        if previous == "unit" and (room := ROOM.match(text, at)):
            at, previous, last = room.end(), "room", room.end()
            continue
        for kind, pattern, ends in COMPONENTS:  # noqa: B007  (the matching component is used below)
            match = pattern.match(text, at)
            if match:
                break
        else:
            break
        at, previous = match.end(), kind
        place = place or kind in ("road", "village", "natural", "estate", "group")
        if ends:
            last = at
    return last if last > 0 and (place or not needs_place) else -1


def _property(text: str, end: int) -> bool:
    return PROPERTY_AFTER.match(text, end) is not None


# Every address ends in one of these; a text without any has none.
ENDINGS = re.compile(r"[号弄室村组幢栋单元]|[0-9]-[0-9]")


def addresses(text: str) -> list[tuple[int, int, float]]:
    """``(start, end, score)`` of every address in a normalised text."""
    found: list[tuple[int, int, float]] = []
    if ENDINGS.search(text) is None:
        return found
    at = 0
    intros = {m.end() for m in INTRO.finditer(text)}
    while at < len(text):
        chain = _chain_end(text, at) if "\u4e00" <= text[at] <= "\u9fff" else -1
        if chain > 0:
            end = _tail_end(text, chain, needs_place=False)
            if end > 0 and not _property(text, end):
                found.append((at, end, CHAIN_SCORE))
                at = end
                continue
        elif at in intros or ((at == 0 or text[at - 1] in BOUNDARY) and TOWN_START.match(text, at)):
            end = _tail_end(text, at, needs_place=True)
            if end > 0 and not _property(text, end):
                found.append((at, end, INTRO_SCORE))
                at = end
                continue
        at += 1
    return found


class AddressRecognizer(LocalRecognizer):
    """ADDRESS: divisions + street or village part, or the part alone after 家住 / 住址."""

    NAME = "AddressRecognizer"

    def __init__(self) -> None:
        super().__init__(
            supported_entities=["ADDRESS"], supported_language=LANGUAGE, name=self.NAME,
            context=["住址", "家住", "地址", "住在", "现住", "居住", "户籍", "寄至"],
        )
        self.negative_context: list[str] = []

    def load(self) -> None:
        """Load the division table now rather than on the first text."""
        lengths_by_first()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Addresses with original offsets."""
        norm = view(text, nlp_artifacts)
        results = []
        for start, end, score in addresses(norm.text):
            explanation = AnalysisExplanation(self.NAME, score, textual_explanation="divisions + street/village")
            metadata = {
                RecognizerResult.RECOGNIZER_NAME_KEY: self.NAME,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
            }
            results.append(RecognizerResult("ADDRESS", *norm.span(start, end), score, explanation, metadata))
        return results
