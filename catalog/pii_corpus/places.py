# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Home addresses (住址) as people and clerks write them, and place words that are not addresses.

Street addresses: divisions (province, city, county — any leading part may be left
out, or written without 省/市), then road and number, estate, building, unit and
room (杭州市西湖区文三路90号东方花园3幢2单元501室, …弄…号, …号院…号楼).  Village
addresses: county, town, village, then a group (3组, 第五村民小组) or a natural
village (…自然村).  The division names are real (county level); towns, villages,
roads and estates are typical names, some real and some not.
"""

from __future__ import annotations

import random

from catalog.pii_corpus.numbers import fullwidth

CHAINS = (  # (province, city, county)
    ("浙江省", "杭州市", "西湖区"), ("浙江省", "杭州市", "拱墅区"), ("浙江省", "杭州市", "余杭区"), ("浙江省", "杭州市", "淳安县"),
    ("浙江省", "杭州市", "建德市"), ("浙江省", "杭州市", "临安区"), ("浙江省", "宁波市", "海曙区"), ("浙江省", "温州市", "鹿城区"),
    ("浙江省", "湖州市", "吴兴区"), ("浙江省", "嘉兴市", "南湖区"), ("浙江省", "绍兴市", "越城区"), ("浙江省", "金华市", "婺城区"),
    ("浙江省", "台州市", "椒江区"), ("浙江省", "丽水市", "莲都区"), ("浙江省", "衢州市", "开化县"), ("江苏省", "南京市", "玄武区"),
    ("江苏省", "苏州市", "吴江区"), ("上海市", "", "浦东新区"), ("上海市", "", "黄浦区"), ("北京市", "", "朝阳区"), ("北京市", "", "海淀区"),
    ("广东省", "深圳市", "南山区"), ("四川省", "成都市", "武侯区"), ("湖北省", "武汉市", "洪山区"), ("安徽省", "合肥市", "蜀山区"),
    ("新疆维吾尔自治区", "乌鲁木齐市", "天山区"), ("新疆维吾尔自治区", "喀什地区", "疏附县"), ("新疆维吾尔自治区", "伊犁哈萨克自治州", "伊宁县"),
    ("西藏自治区", "拉萨市", "城关区"), ("西藏自治区", "日喀则市", "桑珠孜区"), ("内蒙古自治区", "呼和浩特市", "赛罕区"),
    ("内蒙古自治区", "锡林郭勒盟", "锡林浩特市"), ("云南省", "楚雄彝族自治州", "楚雄市"), ("河南省", "郑州市", "金水区"),
)
TOWNS = (
    "千岛湖镇", "姜家镇", "威坪镇", "汾口镇", "梅城镇", "乾潭镇", "塘栖镇", "径山镇", "良渚街道", "五常街道", "城关镇",
    "新安镇", "石门镇", "安仁镇", "白沙乡", "龙泉乡", "青山乡", "东湖街道", "城南街道", "双浦镇", "瓶窑镇", "於潜镇",
    "太湖源镇", "临岐镇", "大同镇", "里山镇", "浪川乡", "托克扎克镇", "萨依巴格乡", "塔乡", "巴彦乡",
)
VILLAGES = (
    "青溪", "下徐", "大坞", "枫树岭", "上坪", "后塘", "新联", "金星", "红旗", "光明", "石门", "李家", "张家坞", "东山",
    "桃源", "双溪", "黄泥岭", "凤凰", "岭脚", "塘坞", "前山", "里洪坑", "高桥", "西溪", "仙居", "下姜", "许家", "阳光",
    "幸福", "团结", "新华", "园区", "古城", "永丰",
)
NATURAL = ("上庄", "下坞", "里山", "外宅", "新屋", "老屋基", "王家坞", "山后", "塘边", "岭头")
ROADS = (
    "文三路", "天目山路", "学院路", "古墩路", "文一西路", "莫干山路", "解放路", "中山北路", "钱江路", "滨盛路", "江南大道",
    "人民路", "建国中路", "延安东路", "和平街", "新华街", "建设巷", "柳营巷", "湖墅南路", "教工路", "丰潭路", "体育场路",
    "凤起东路", "长庆街", "环城北路", "余杭塘路", "五常大道", "金沙江路", "淮海中路", "南京西路", "安立路", "知春路",
)
ESTATES = (
    "东方花园", "翠苑一区", "嘉绿苑", "金都华庭", "阳光家园", "蓝天小区", "丹桂公寓", "耀江广厦", "三墩新村", "绿城桂花园",
    "金色海岸", "和睦新村", "紫荆花园", "世纪新城", "望江家园", "南都德加", "朝晖五区", "古荡新村", "香樟公寓", "江南春城",
)
CN_NUM = "一二三四五六七八九十"
ASSET_USES = ("商业用房", "仓库", "厂房", "办公用房", "门面房", "沿街商铺")


def _divisions(rng: random.Random) -> str:
    province, city, county = rng.choice(CHAINS)
    form = rng.choices(["full", "city", "county", "alias", "none"], weights=[22, 35, 30, 6, 7])[0]
    if form == "full":
        return province + city + county
    if form == "city":
        return (city or province) + county
    if form == "alias" and city.endswith("市") and province.endswith("省"):
        return province[:-1] + city[:-1] + county
    return county if form != "none" else ""


def _n(rng: random.Random, low: int, high: int) -> str:
    return str(rng.randint(low, high))


def street_address(rng: random.Random) -> str:
    """A street address ending in a number, building, unit or room."""
    head = _divisions(rng) + rng.choice(ROADS)
    form = rng.choices(["estate", "lane", "yard", "number", "compact"], weights=[40, 15, 12, 20, 13])[0]
    if form == "estate":
        tail = f"{_n(rng, 1, 999)}号{rng.choice(ESTATES)}{_n(rng, 1, 30)}{rng.choice(['幢', '栋', '号楼'])}{_n(rng, 1, 6)}单元{_n(rng, 101, 2808)}室"
    elif form == "lane":
        tail = f"{_n(rng, 1, 1500)}弄{_n(rng, 1, 120)}号{_n(rng, 101, 1202)}室"
    elif form == "yard":
        tail = f"{_n(rng, 1, 99)}号院{_n(rng, 1, 20)}号楼{_n(rng, 1, 6)}单元{_n(rng, 101, 1808)}"
    elif form == "number":
        tail = f"{_n(rng, 1, 999)}号"
    else:
        tail = f"{_n(rng, 1, 999)}号{rng.choice(ESTATES)}{_n(rng, 1, 30)}-{_n(rng, 1, 6)}-{_n(rng, 101, 1808)}"
    if rng.random() < 0.06:
        tail = fullwidth(tail)
    return head + tail


def village_address(rng: random.Random) -> str:
    """A village address: county, town, village, then a group or natural village."""
    divisions = _divisions(rng)
    town = rng.choice(TOWNS) if divisions or rng.random() < 0.7 else ""
    village = rng.choice(VILLAGES) + "村"
    form = rng.choices(["group", "small_group", "natural", "number"], weights=[40, 25, 20, 15])[0]
    if form == "group":
        tail = f"{rng.choice([_n(rng, 1, 15), CN_NUM[rng.randint(0, 9)]])}组"
        tail += f"{_n(rng, 1, 88)}号" if rng.random() < 0.4 else ""
    elif form == "small_group":
        tail = f"第{CN_NUM[rng.randint(0, 9)]}村民小组"
    elif form == "natural":
        tail = f"{rng.choice(NATURAL)}自然村" + (f"{_n(rng, 1, 60)}号" if rng.random() < 0.5 else "")
    else:
        tail = f"{_n(rng, 1, 300)}号"
    if not divisions and not town:
        divisions = rng.choice(CHAINS)[2]
    return divisions + town + village + tail


def address(rng: random.Random) -> str:
    return street_address(rng) if rng.random() < 0.6 else village_address(rng)


# ---- decoys ----

AGENCY_TAILS = ("民政局", "财政局", "人力社保局", "审计局", "卫生健康局", "社会保险事业管理中心", "农业农村局", "人民政府", "市场监督管理局")


def agency(rng: random.Random) -> str:
    """An agency named by its place: 西湖区民政局, 淳安县千岛湖镇人民政府."""
    county = rng.choice(CHAINS)[2]
    return county + (rng.choice(TOWNS) if rng.random() < 0.25 else "") + rng.choice(AGENCY_TAILS)


def road_only(rng: random.Random) -> str:
    """A road or area named without a house number (沿线, 改造工程)."""
    return rng.choice(ROADS) + rng.choice(["沿线", "改造工程", "综合整治", "路段", "一带", "提升工程"])


def asset_address(rng: random.Random) -> str:
    """A state-owned property's location (an organisation's asset, not a person's home)."""
    return _divisions(rng) + rng.choice(ROADS) + f"{_n(rng, 1, 500)}号" + rng.choice(ASSET_USES)
