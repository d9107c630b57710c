# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""PERSON: Chinese personal names from jieba part-of-speech tags, surnames and context.

No library recognizes Chinese names without a trained model, so this is hand-written
on top of jieba's tokens and ``nr`` (person name) tags from the NLP artifacts (see
:mod:`.nlp`).  A candidate starts at a token boundary with a known surname (欧阳,
诸葛… included) followed by one or two given-name characters (2–4 characters in
all).  Evidence: jieba tagged it ``nr`` (but jieba tags frequent words such as 文明
or 阳光 ``nr`` too, so those need context), or jieba split the surname off as a
token of its own, or context: a role before it (举报人, 收款人, 法定代表人, 姓名：)
or a title after it (先生, 女士, 同志).  Names never end like places or
organisations (…村, …局) and never hold function characters (的, 在, 某).
"""

from __future__ import annotations

import re

import jieba
import jieba.posseg
from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from catalog.recognizers._base import LANGUAGE, view
from catalog.recognizers.divisions import place_words
from catalog.recognizers.given_names import GIVEN
from catalog.recognizers.not_names import is_brand, is_doc_number, is_money_word, is_place
from catalog.recognizers.surnames import COMMON, COMPOUND, surname_length
from catalog.recognizers.transliterated import candidates as transliterated

NAME_TAGS = frozenset({"nr", "nrfg", "nrt"})
# jieba tags a surname split off on its own like this; p/c/d/v… mean 和, 向, 将 as words.
LONE_SURNAME_TAGS = NAME_TAGS | {"ns", "nz", "j", "n", "ng", "x"}
ROLES = (
    "举报人", "经办人", "法定代表人", "法人代表", "收款人", "付款人", "负责人", "姓名", "联系人", "申请人",
    "领取人", "户主", "投诉人", "信访人", "当事人", "责任人", "审批人", "签字人", "代理人", "委托人", "受益人",
    "持卡人", "开户人", "户名", "反映人", "来访人", "核查人", "复核人", "审核人", "出纳", "会计", "主任", "书记",
    "局长", "科长", "处长", "股长", "站长", "所长", "村长", "镇长", "乡长", "县长", "经理", "董事长", "组长",
    "村民", "居民", "职工", "员工", "人员", "干部", "老人", "家属", "妻子", "丈夫", "儿子", "女儿", "父亲",
    "母亲", "亲属", "证人", "教师", "医生", "对象", "低保户", "贫困户", "其子", "其女", "其妻", "持有人", "车主",
    "驾驶人", "组员", "联系", "致电", "交由", "转给", "支付给", "转包给", "发放给", "冒用", "验收人", "承租人",
    "经手人", "报销人", "领款人", "借款人", "担保人", "购买人", "监护人", "推荐人", "被调查人", "涉案人",
)
ROLE_BEFORE = re.compile("(?:" + "|".join(sorted(ROLES, key=len, reverse=True)) + ")[：:，, \u3000]{0,2}")
TITLES = (
    "先生", "女士", "同志", "老师", "师傅", "主任", "书记", "局长", "科长", "处长", "经理", "会计", "出纳", "村长",
    "镇长", "县长", "厂长", "校长", "院长", "医生", "律师", "等人", "本人", "夫妇", "一家", "（身份证", "(身份证",
    "，身份证", "，男", "，女", "（男", "（女", "的身份证", "的银行卡", "的手机", "的账户", "的车辆",
    "的母亲", "的父亲", "的儿子", "的女儿", "的妻子", "的丈夫", "的亲属", "的家属", "于1", "于2", "曾任", "系夫妻",
    "签字", "复核", "主持", "记录", "称", "反映", "举报", "冒领", "虚报", "牵头", "审核", "整理", "负责", "代领",
    "名下", "汇报", "强调", "核实", "在任", "任职期间", "持护照", "交代", "之手", "（护照", "(护照", "（+86", "(+86", "同时在",
)
_SEPARATORS = r"[：:，,、 \u3000为是即系]{0,2}"
# A role word, then at most two separators, right before the name.
ROLE_AT_END = re.compile("(?:" + "|".join(sorted(ROLES, key=len, reverse=True)) + ")" + _SEPARATORS + "$")
NOT_NAME_END = frozenset("村镇乡县市省区街路局厅委所院司站队社组部处科室行会店厂场校港湾桥人庄屯坝沟寨堡营铺坪塘寺庙")
# A name right before these is the start of an organisation's name (张华科技有限公司).
ORG_WORDS = re.compile(r"(?:(?![的了在和是与及向为将对把被从到给由])[\u4e00-\u9fff]){0,2}?(?:公司|有限|集团|科技|传媒|信息|网络|电子|软件|国际|银行(?!卡|账|帐)|医院|学校|中心|协会|合作社|事务所|研究院|商行|工作室|门市|建设|工程|实业|贸易|物业|置业|投资|咨询|劳务|数据|印刷)")
# A candidate that is a very frequent ordinary word (关系, 程序) is no name, whatever surrounds it.
ORDINARY = 5000
# A name right before these is part of a place (文一西路, 李家庄, 高新区).
PLACE_AFTER = re.compile(r"[东南西北中]?(?:路|街|大道|巷|弄|区|县|市|省|镇|乡|村|庄|湾|屯|寨|坞|岙|垟|畈|埠|岭|坪|港)")
GLUED = 300
PREPOSITIONS = frozenset("向以和与给对被把将从由为跟同及")
GRAMMAR_TAGS = frozenset({"p", "c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "r"})
FUNCTION_TAGS = frozenset({"p", "c", "d", "u", "uj", "ul", "uz", "ug", "uv", "ud", "r", "m", "q", "f", "t", "v", "a", "ad"})
# A name's first two characters are not a place or a verb (张江…, 曾任…).
PREFIX_REJECT_TAGS = frozenset({"ns", "v", "vn", "d", "p", "c", "f", "t"})
NOT_GIVEN = frozenset("的了在和是说称等及与向于为将已对把被从到给由也都就还又而或并其某所这那个们年月日元号氏")
COMMON_WORD_FREQ = 300
RECOGNIZER_NAME = "ZhPersonRecognizer"


def _is_han(text: str) -> bool:
    return bool(text) and all("\u4e00" <= c <= "\u9fff" for c in text)


def _given_ok(given: str) -> bool:
    return _is_han(given) and not any(c in NOT_GIVEN for c in given) and given[-1] not in NOT_NAME_END


def has_context(text: str, start: int, end: int, weak: bool = False) -> bool:
    """A role word right before the name, or a title right after it (for ``weak`` candidates,
    also a 、 next to it: a name in a list of names)."""
    if weak and ((start and text[start - 1] == "、") or text.startswith("、", end)):
        return True
    if ROLE_AT_END.search(text, max(0, start - 10), start):
        return True
    return text.startswith(TITLES, end)


def _name_end(text: str, start: int, surname: int, boundaries: set[int]) -> int:
    """Where the name starting at ``start`` ends: one given character, or two if plausible."""
    one, two = start + surname + 1, start + surname + 2
    if two > len(text) or not _given_ok(text[start + surname : two]) or text[two - 1] not in GIVEN:
        return one
    if text[two - 1] in "家之" and text[two : two + 1] in ("三", "两", "人", "属", "里", "中", "手", "所"):
        return one  # 杨晶|家三口, 黄燕|之手
    # jieba sometimes glues a name's last character to a following common word (王凯英名义 → 英名|义)
    split_off = jieba.dt.FREQ.get(text[two : two + 2], 0) >= 1000
    return two if two in boundaries or split_off else one


def _prefix_ok(text: str, start: int, end: int) -> bool:
    """Reject 3+ character names whose first two characters are a place or a verb."""
    if end - start < 3 or text[start : start + 2] in COMPOUND:
        return True
    head = text[start : start + 2]
    return not (jieba.dt.FREQ.get(head, 0) >= 100 and jieba.posseg.dt.word_tag_tab.get(head) in PREFIX_REJECT_TAGS)


def _evidence(tokens: list[tuple[str, str, int]], i: int, surname: int, end: int) -> float:
    """Prior from jieba: a name tag, a split-off surname, or nothing (context only)."""
    word, tag, start = tokens[i]
    common = word[:surname] in COMMON or surname == 2
    if tag in NAME_TAGS and surname < len(word) <= surname + 2:
        if jieba.dt.FREQ.get(word, 0) >= COMMON_WORD_FREQ or (not common and word in jieba.dt.FREQ):
            # a frequent word (黄龙, 高峰) is a name when a lone given character follows (黄龙|阳)
            return (0.6 if common else 0.45) if end == start + len(word) + 1 else 0.2
        return 0.7 if common else 0.5
    next_tag = tokens[i + 1][1] if i + 1 < len(tokens) else ""
    if len(word) == surname and tag in LONE_SURNAME_TAGS:
        return 0.6 if common else 0.35
    if len(word) == surname and common and next_tag in NAME_TAGS:
        return 0.6  # a mis-tagged surname (余/m, 谢/v) before a tagged given name
    return 0.1


def _plausible(text: str, start: int, end: int) -> bool:
    return (
        _given_ok(text[start + surname_length(text[start:end]) : end])
        and text[start:end] not in ROLES
        and _prefix_ok(text, start, end)
        and not ORG_WORDS.match(text, end)
        and not PLACE_AFTER.match(text, end)
    )


def _skip(word: str, tag: str) -> bool:
    """A one-character token used as grammar (向/p, 和/c) or a rare surname used as a word."""
    return len(word) == 1 and (tag in GRAMMAR_TAGS or (tag in FUNCTION_TAGS and word not in COMMON))


def _after_preposition(text: str, start: int, boundaries: set[int]) -> list[tuple[int, int, float]]:
    """jieba glued a preposition to the name after it (向麻楠|坤 → 向|麻楠坤)."""
    surname = surname_length(text[start : start + 2])
    if not surname or not _given_ok(text[start + surname : start + surname + 1]):
        return []
    end = _name_end(text, start, surname, boundaries)
    common = text[start : start + surname] in COMMON or surname == 2
    return [(start, end, 0.6 if common else 0.45)] if _plausible(text, start, end) else []


def candidates(text: str, tokens: list[tuple[str, str, int]]) -> list[tuple[int, int, float]]:
    """``(start, end, prior)`` for every token that could start a name, and right after role words."""
    boundaries = {start for _, _, start in tokens} | {len(text)}
    found = []
    for i, (word, tag, start) in enumerate(tokens):
        if start > 0 and word[0] in PREPOSITIONS and tag in NAME_TAGS and len(word) >= 3:
            found.extend(_after_preposition(text, start + 1, boundaries | {start + 1}))
            continue
        surname = surname_length(word)
        if not surname or _skip(word, tag) or not _given_ok(text[start + surname : start + surname + 1]):
            continue
        end = _name_end(text, start, surname, boundaries)
        if _plausible(text, start, end):
            found.append((start, end, _evidence(tokens, i, surname, end)))
    for match in ROLE_BEFORE.finditer(text):
        start = match.end()  # a name glued into the role's token (验收人马鹏芳 → 人马|鹏|芳)
        surname = surname_length(text[start : start + 2])
        if start not in boundaries and surname and text[start + surname : start + surname + 1] in GIVEN:
            end = _name_end(text, start, surname, boundaries)
            if _plausible(text, start, end) and all(c in GIVEN for c in text[start + surname : end]):
                found.append((start, end, 0.1))
    return found


def _ordinary(word: str) -> bool:
    return jieba.dt.FREQ.get(word, 0) >= ORDINARY and jieba.posseg.dt.word_tag_tab.get(word) not in NAME_TAGS


def is_decoy(text: str, start: int, end: int) -> bool:
    """A brand, a place, a doc number's prefix, or a surname character that ends the word before (资金)."""
    glued = any(jieba.dt.FREQ.get(text[max(0, start - k) : start + 1], 0) >= GLUED for k in (1, 2) if start >= k)
    if glued or is_money_word(text, start) or is_doc_number(text, end):
        return True
    return is_brand(text, start, end) or is_place(text, start, end)


class PersonRecognizer(LocalRecognizer):
    """PERSON: names from jieba tokens and tags, surnames and role/title context."""

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language=LANGUAGE, name=RECOGNIZER_NAME)

    def load(self) -> None:
        """Load the place words now (jieba is initialised by the NLP engine)."""
        place_words()

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Name candidates scored by their jieba evidence and context, with original offsets."""
        if nlp_artifacts is None:
            return []
        norm = view(text, nlp_artifacts)
        tokens = getattr(nlp_artifacts, "words", None)
        if tokens is None:
            tokens = [(t.text, t.tag_, t.idx) for t in nlp_artifacts.tokens]
        results = []
        boundaries = {at for _, _, at in tokens}
        for start, end, prior in candidates(norm.text, tokens):
            if _ordinary(norm.text[start:end]):
                continue
            context = has_context(norm.text, start, end)
            if context or not is_decoy(norm.text, start, end):
                results.append(self._result(*norm.span(start, end), prior, min(1.0, prior + 0.35 * context)))
        for start, end, prior in transliterated(norm.text, boundaries):
            score = min(1.0, prior + (0.35 if has_context(norm.text, start, end, prior < 0.5) else 0.0))
            results.append(self._result(*norm.span(start, end), prior, score))
        return results

    def _result(self, start: int, end: int, prior: float, score: float) -> RecognizerResult:
        explanation = AnalysisExplanation(RECOGNIZER_NAME, prior, textual_explanation="jieba + surname + context")
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: RECOGNIZER_NAME,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        }
        return RecognizerResult("PERSON", start, end, score, explanation, metadata)
