# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Names written by sound (音译人名): Uyghur, Kazakh and foreign names with a middle dot,
Tibetan and Mongolian names.

These names have no Han surname, so the surname-based candidates of :mod:`.person`
never start one (they tag two-character fragments instead).  Three shapes:

* **dot-joined** (买买提·艾力, 约翰·史密斯; the dot in any variant, normalised to ``·``):
  runs of transliteration characters on both sides of the dot;
* **Tibetan** (扎西多吉, 次仁卓玛): one or two name elements from :data:`TIBETAN`;
* **Mongolian** (巴特尔, 乌云其木格, 包巴雅尔): one or two elements from
  :data:`MONGOLIAN`, sometimes after a Han-style first character.

A single short element (卓玛, 朝鲁) is a weak candidate that needs a role or title
word next to it.  Data, hand-written: no maintained package lists these elements
or the transliteration alphabet (the Xinhua tables are published as books).
"""

from __future__ import annotations

import re
from collections.abc import Collection

import jieba
import jieba.posseg

# Characters of the standard transliteration tables and of Uyghur/Kazakh names in Chinese.
TRANSLIT = frozenset(
    "阿埃艾爱安昂奥敖巴拜班邦保鲍贝本比彼毕别宾波伯博布查达黛丹道德登迪蒂丁东杜敦多厄恩尔法范菲费芬丰佛夫弗"
    "福盖甘冈高戈格根古瓜哈海罕汉豪赫亨胡华霍基吉加贾杰捷金卡凯坎康考柯科克肯库夸奎昆拉莱赖兰朗劳勒雷蕾黎里"
    "理利莉丽连列林琳隆卢鲁伦罗洛马玛迈麦曼芒梅门蒙米密明姆穆纳娜奈南内尼涅宁纽努诺欧帕潘佩彭皮普奇契齐恰乔"
    "切钦琼丘萨塞赛桑瑟森沙莎尚舍什施史斯松苏索塔泰坦汤唐陶特提汀通图托瓦万旺威维韦温沃乌伍武西希锡夏谢辛"
    "休雅亚扬耶叶伊尤约泽扎詹兹祖佐娃热合吐逊依木孜肉买江拜力吾卜杜来帕胡古玉素甫排米再克麦合提坤热则"
    "娅妮翰索菲芙斐雯蒂尔薇琪丝黛露茜蕾琳娜莎维嘉捷舒瓦莱奥涅夫斯基耶娃诺维奇托尼萨利赫穆罕默德阿卜杜勒"
    "拉赫曼迪丽拜努尔买提艾山肯哈力克托合亚森库班叶兰别加娜巴合木拉排尔伊斯曼卓依莫雷迪亚诺贝尔乔治保罗路易"
    "汗廉历山大得其洪罕翰逊柯尼喀什热瓦都不卫"
)
# Elements of Tibetan names (in the common transcriptions; 2–3 characters each).
TIBETAN = (
    "扎西", "次仁", "卓玛", "多吉", "多杰", "格桑", "拉姆", "旦增", "丹增", "平措", "彭措", "尼玛", "达瓦", "达娃", "央金",
    "德吉", "索朗", "索南", "顿珠", "洛桑", "罗桑", "益西", "曲珍", "白玛", "边巴", "普布", "拉巴", "巴桑", "米玛", "群培",
    "嘉措", "加措", "仁青", "仁增", "强巴", "罗布", "次旦", "桑珠", "旺堆", "贡布", "阿旺", "卓嘎", "玉珍", "措姆", "央宗",
    "才让", "拉毛", "更登", "琼达", "仓决", "次珠", "欧珠", "普琼", "加央", "桑杰", "旺姆", "尼珍", "措吉", "泽仁", "斯郎",
    "格列", "多布杰", "巴珠", "单增", "土登", "次央", "德庆", "拉珍", "旺杰", "伦珠", "朗杰", "边珍", "次措", "白珍", "曲吉",
    "格勒", "晋美", "贡嘎", "旺久", "昂旺", "扎巴", "坚参", "坚赞", "赤列", "诺布", "顿旦", "卓拉", "扎桑", "达杰", "桑吉",
    "旺秀", "卓尕", "拉加", "才旦", "华旦", "公保", "更藏", "吉宗", "德央", "梅朵", "美朵", "次吉", "益珍", "央拉", "普赤",
    "洛布", "索珍", "边久", "尼扎", "次顿", "格措", "拉琼", "仁珍", "卓央", "曲尼", "达娃卓玛",
)
MONGOLIAN = (
    "巴特尔", "巴图", "巴雅尔", "巴根", "格日勒图", "格日勒", "额尔敦", "额尔德尼", "斯琴", "高娃", "乌云", "其木格", "其其格",
    "孟和", "阿拉坦仓", "阿拉坦", "朝鲁", "朝克图", "那顺", "苏和", "宝音", "德力格尔", "敖日格勒", "敖其尔", "呼和", "哈斯",
    "娜仁", "萨仁", "图雅", "图门", "吉日嘎拉", "满都拉", "满都呼", "布和", "毕力格", "乌力吉", "特木尔", "铁木尔", "吉雅",
    "阿木古楞", "宝力道", "达来", "胡日查", "乌日娜", "查干", "道尔吉", "那日苏", "阿拉腾", "格根", "塔娜", "萨其拉",
    "额日和木", "包力高", "恩和", "陶克陶", "苏日娜", "其力格尔", "巴拉珠尔", "巴音", "乌恩", "孟克", "达古拉", "图布信",
    "斯日古楞", "伊德尔", "纳森", "赛音", "白音", "朝格图", "乌日图", "阿日斯楞", "哈斯巴根", "额尔登", "其其格玛", "敖登",
    "通拉嘎", "苏布道", "乌兰", "呼格吉勒", "赛罕", "图雅", "朝克", "温都苏",
)
MONGOLIAN_FIRST = "包白韩鲍吴宝云"
_DOTTED = re.compile(r"[\u4e00-\u9fff]+(?:[·.][\u4e00-\u9fff]+)+")
_ELEMENTS = sorted(set(TIBETAN) | set(MONGOLIAN), key=len, reverse=True)
_ELEMENT = re.compile("|".join(_ELEMENTS))
_ELEMENT_RUN = re.compile(f"[{MONGOLIAN_FIRST}]?(?:{_ELEMENT.pattern}){{1,2}}")
# A name may start right after these even when jieba glued them to it (由约翰 → 由|约翰).
STOP_BEFORE = frozenset("由向给与和的是了在对将把被从经为即及至以让请叫跟同替帮找、，。；：:（(")
# Characters of transliterations that also start common words after a name (艾力不知情, 都是).
GLUE_AFTER = frozenset("不都来加达得")
COMMON = 300
NAME_TAGS = frozenset({"nrt", "nrfg", "ns", "nz"})


def _common_word(word: str, least: int = COMMON) -> bool:
    return jieba.dt.FREQ.get(word, 0) >= least and jieba.posseg.dt.word_tag_tab.get(word) not in NAME_TAGS


def _left(text: str, start: int, dot: int, boundaries: Collection[int]) -> int:
    left = dot
    while left > start and text[left - 1] in TRANSLIT and dot - left < 8:
        left -= 1
    while left < dot - 1 and left not in boundaries and text[left - 1] not in STOP_BEFORE:
        left += 1  # 其|股东|麦麦提: 东 belongs to the word before
    if left + 2 < dot and text[left - 1] not in STOP_BEFORE and _common_word(text[left : left + 2]):
        left += 2  # 另|查明|木拉提 (but 、阿曼古丽 keeps 阿曼)
    return left


def _inner(text: str, start: int, end: int, boundaries: Collection[int]) -> tuple[int, int]:
    """Trim a dot-joined span to its transliteration characters, starting at a word boundary."""
    dot = next(i for i in range(start, end) if text[i] in "·.")
    last = max(i for i in range(start, end) if text[i] in "·.")
    right = last + 1
    while right < end and text[right] in TRANSLIT and right - last <= 8:
        right += 1
    if right - 1 > last + 1 and text[right - 1] in GLUE_AFTER and _common_word(text[right - 1 : right + 1], 1000):
        right -= 1
    return _left(text, start, dot, boundaries), right


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a dotted match where a part is not all transliteration (两个名字之间的文字)."""
    out, at = [], start
    for i in range(start, end):
        if text[i] not in TRANSLIT and text[i] not in "·.":
            if any(text[j] in "·." for j in range(at, i)):
                out.append((at, i))
            at = i + 1
    if any(text[j] in "·." for j in range(at, end)):
        out.append((at, end))
    return out


def dotted(text: str, boundaries: Collection[int]) -> list[tuple[int, int, float]]:
    """Dot-joined names: ``(start, end, prior)``."""
    found = []
    for match in _DOTTED.finditer(text):
        for a, b in _pieces(text, *match.span()):
            start, end = _inner(text, match.start(), b, boundaries) if a == match.start() else _inner(text, a, b, boundaries)
            parts = re.split(r"[·.]", text[start:end])
            if all(parts) and sum(len(p) for p in parts) >= 3:
                found.append((start, end, 0.8))
    return found


def elements(text: str) -> list[tuple[int, int, float]]:
    """Tibetan and Mongolian names from their elements: ``(start, end, prior)``."""
    found = []
    for match in _ELEMENT_RUN.finditer(text):
        start, end = match.span()
        body = text[start:end]
        two = len(_ELEMENT.findall(body)) >= 2
        prior = 0.65 if two else (0.45 if len(body) >= 3 else 0.25)
        found.append((start, end, prior))
    return found


def candidates(text: str, boundaries: Collection[int]) -> list[tuple[int, int, float]]:
    """Every transliterated-name candidate in a normalised text (``boundaries``: word starts)."""
    out = dotted(text, boundaries) if ("·" in text or "." in text) else []
    return out + elements(text)
