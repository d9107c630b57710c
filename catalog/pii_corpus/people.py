# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Names as they appear in Chinese government text, and the words that only look like names.

Han names come from Faker's zh_CN provider (surnames weighted by frequency); the
minority and foreign names are composed from the element lists below (Uyghur and
Kazakh names joined by a middle dot in any of its variants, Tibetan names of two
elements, Mongolian names of one or two, foreign names transliterated).  Decoys:
brands and firms named after their founders, anonymised forms, place names and
ordinary words that start with a surname.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache

from faker.providers.person.zh_CN import Provider as ZhPerson

UYGHUR = (
    "买买提", "艾力", "阿不都", "热合曼", "吐尔逊", "阿依古丽", "古丽娜尔", "努尔", "艾尔肯", "帕提古丽", "麦麦提",
    "依明", "阿卜杜拉", "伊力哈木", "艾山", "玉素甫", "肉孜", "卡德尔", "阿布来提", "迪丽拜尔", "热依拉", "祖力胡玛尔",
    "阿迪力", "吾买尔", "买合木提", "米热古丽", "阿力木", "努尔买买提", "赛买提", "托合提", "塔依尔", "亚森", "库尔班",
    "阿布都热合曼", "哈力克", "沙吾提", "阿斯木", "再努尔", "布合力其", "阿依努尔", "吐尔洪", "努尔兰", "叶尔兰",
    "阿依达娜", "别克", "哈孜", "加娜尔", "巴合提亚尔", "木拉提", "吐逊古丽", "阿曼古丽", "排尔哈提", "伊斯拉木",
)
DOTS = {"·": 55, "•": 20, "・": 15, "‧": 5, "．": 5}
TIBETAN = (
    "扎西", "次仁", "卓玛", "多吉", "格桑", "拉姆", "旦增", "平措", "尼玛", "达瓦", "央金", "德吉", "索朗", "顿珠",
    "洛桑", "益西", "曲珍", "白玛", "边巴", "普布", "拉巴", "巴桑", "米玛", "群培", "嘉措", "仁青", "强巴", "罗布",
    "次旦", "桑珠", "旺堆", "贡布", "阿旺", "丹增", "卓嘎", "玉珍", "措姆", "央宗", "才让", "拉毛", "多杰", "更登",
    "索南", "达娃", "琼达", "仓决", "次珠", "欧珠", "普琼", "加央", "桑杰", "旺姆", "尼珍", "措吉", "泽仁", "斯郎",
)
MONGOLIAN = (
    "巴特尔", "巴雅尔", "格日勒图", "额尔敦", "斯琴", "高娃", "乌云", "其木格", "孟和", "其其格", "阿拉坦仓", "朝鲁",
    "那顺", "苏和", "宝音", "德力格尔", "敖日格勒", "呼和", "哈斯", "娜仁", "萨仁", "图雅", "图门", "吉日嘎拉",
    "满都拉", "布和", "毕力格", "乌力吉", "特木尔", "额尔德尼", "吉雅", "阿木古楞", "宝力道", "达来", "胡日查", "乌日娜",
    "巴图", "敖其尔", "查干", "朝克图", "道尔吉", "那日苏", "阿拉腾", "格根", "塔娜", "萨其拉", "金花",
)
MONGOLIAN_PREFIX = ("包", "白", "韩", "鲍", "吴", "")
FOREIGN_GIVEN = (
    "约翰", "玛丽亚", "彼得", "安娜", "迈克尔", "大卫", "詹姆斯", "伊万", "娜塔莎", "穆罕默德", "阿里", "汉斯", "卡尔",
    "皮埃尔", "托马斯", "亚历山大", "奥列格", "索菲亚", "艾米丽", "乔治", "保罗", "路易斯", "卡洛斯", "阿卜杜勒",
)
FOREIGN_FAMILY = (
    "史密斯", "约翰逊", "加西亚", "彼得罗夫", "伊万诺夫", "穆勒", "施密特", "马丁", "杜邦", "威廉姆斯", "布朗",
    "罗德里格斯", "费尔南德斯", "库兹涅佐夫", "汗", "拉赫曼", "诺瓦克", "贝克尔", "安德森", "莫雷诺",
)
COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "司徒", "慕容", "令狐", "夏侯")
FAMILIES = {"han": 81, "uyghur": 7, "tibetan": 4, "mongolian": 4, "foreign": 2, "compound": 2}

BRANDS = (
    "王老吉", "李宁", "周大福", "马应龙", "张小泉", "陈李济", "杨国福", "周黑鸭", "王守义", "刘一手", "张裕", "吴裕泰",
    "李锦记", "谭木匠", "钱大妈", "周生生", "朱炳仁", "胡庆余堂", "黄飞红", "孔乙己", "曹操出行", "何氏眼科", "汪氏蜂蜜",
)
BRAND_TAILS = ("", "凉茶", "专卖店", "有限公司", "门店", "品牌", "旗舰店", "加盟店", "药业", "珠宝")
NAME_WORDS = (
    "高峰期", "文明城市", "金融机构", "石油公司", "黄金周", "林业站", "江山市", "马上整改", "张贴公示", "周年庆",
    "常规检查", "高效推进", "向阳花园", "安全生产", "程序规范", "万元以上", "田间管理", "白天巡查", "方向盘", "李子园",
    "朱红色", "杨柳青", "宋体字", "夏粮收购", "秦岭保护", "谢绝", "孔雀", "陆续到位", "于是", "韩式料理",
)
PLACE_NAMES = (
    "王家村", "李家庄", "张家港", "周庄", "岳阳", "常州", "金华", "温州", "丽水", "龙泉", "黄山", "余姚",
    "马鞍山", "石家庄", "何家湾", "刘家坪", "陈家坞", "邵阳", "胡桥镇", "钱塘区", "郭巷街道", "柯桥",
)


def pick(rng: random.Random, shares: Mapping[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


@lru_cache(maxsize=1)
def _han_pool() -> tuple[list[str], list[float], list[str]]:
    surnames = [s for s in ZhPerson.last_names if len(s) == 1]
    weights = [ZhPerson.last_names[s] for s in surnames]
    return surnames, weights, sorted(set(ZhPerson.first_names))


def han(rng: random.Random) -> str:
    """A Han name: weighted surname, given name of one or two characters."""
    surnames, weights, given = _han_pool()
    first = rng.choices(surnames, weights=weights)[0]
    name = rng.choice(given)
    if len(name) == 1 and rng.random() < 0.55:
        name += rng.choice([g for g in given if len(g) == 1] or given)
    return first + name[:2]


def compound(rng: random.Random) -> str:
    given = _han_pool()[2]
    return rng.choice(COMPOUND) + rng.choice(given)[:2]


def uyghur(rng: random.Random) -> str:
    """A Uyghur or Kazakh name: given name, a middle dot (some variant), father's name."""
    first, second = rng.sample(UYGHUR, 2)
    return first + pick(rng, DOTS) + second


def tibetan(rng: random.Random) -> str:
    """A Tibetan name: usually two elements, sometimes one."""
    if rng.random() < 0.15:
        return rng.choice(TIBETAN)
    first, second = rng.sample(TIBETAN, 2)
    return first + second


def mongolian(rng: random.Random) -> str:
    """A Mongolian name: one or two elements, sometimes after a Han-style prefix."""
    parts = rng.sample(MONGOLIAN, 2 if rng.random() < 0.4 else 1)
    name = "".join(parts)
    if len(name) <= 3 and rng.random() < 0.3:
        name = rng.choice(MONGOLIAN_PREFIX[:-1]) + name
    return name


def foreign(rng: random.Random) -> str:
    """A transliterated foreign name: given name, a middle dot, family name."""
    return rng.choice(FOREIGN_GIVEN) + pick(rng, {"·": 80, "•": 10, "・": 10}) + rng.choice(FOREIGN_FAMILY)


FAMILY_MAKERS = {"han": han, "uyghur": uyghur, "tibetan": tibetan, "mongolian": mongolian, "foreign": foreign, "compound": compound}


def person(rng: random.Random, family: str | None = None) -> tuple[str, str]:
    """``(name, family)`` drawn by the shares of :data:`FAMILIES`."""
    family = family or pick(rng, FAMILIES)
    return FAMILY_MAKERS[family](rng), family


def brand(rng: random.Random) -> str:
    return rng.choice(BRANDS) + rng.choice(BRAND_TAILS)


def anonymised(rng: random.Random) -> str:
    """张某, 王某某, 李某甲: names an author has already removed."""
    surnames = _han_pool()[0]
    return rng.choice(surnames[:60]) + rng.choice(["某", "某某", "某某", "某甲", "某乙", "某1"])


def name_word(rng: random.Random) -> str:
    return rng.choice(NAME_WORDS)


def place_name(rng: random.Random) -> str:
    return rng.choice(PLACE_NAMES)
