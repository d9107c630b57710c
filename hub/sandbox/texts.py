"""Free text (自由文本): realistic Chinese sentences that sometimes carry personal data.

Treasury purposes, audit descriptions, disposal descriptions and decision
summaries are written by clerks; some of them name people with their ID and
phone numbers, which is exactly what the hub's publish-time redaction must find.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hub.sandbox import identifiers

if TYPE_CHECKING:
    from hub.sandbox.context import Context

PURPOSES = (
    "支付{payee}{item}款",
    "{item}项目进度款（第{k}期）",
    "拨付{payee}{item}费用",
    "{item}合同尾款，合同编号HT-{year}-{n:04d}",
    "{item}服务费，经办人{name}，联系电话{phone}",
    "支付{item}款，收款联系人{name}（身份证号{idn}）",
    "{item}采购款，验收人{name} {phone}",
)
ITEMS = (
    "办公设备",
    "物业管理",
    "信息化建设",
    "道路养护",
    "绿化养护",
    "印刷",
    "会议",
    "培训",
    "工程监理",
    "软件运维",
    "车辆租赁",
    "食堂食材",
    "安保服务",
    "档案数字化",
    "设备维保",
)
FINDINGS = {  # per finding_type
    "违规发放": (
        "{unit}向不符合条件的人员发放补贴{amount}元",
        "{unit}向{name}（身份证号{idn}）重复发放低保金",
    ),
    "挤占挪用": ("{unit}挤占专项资金用于{item}，涉及金额{amount}元", "{unit}将{item}经费挪作他用"),
    "虚报冒领": ("{unit}虚报冒领{item}补助，经办人{name}，电话{phone}", "{unit}以{name}名义虚报冒领补贴"),
    "未按规定采购": (
        "{unit}未按规定程序采购{item}，涉及金额{amount}元",
        "{unit}, {item}合同未经审批即支付{amount}元",
    ),
}
ASSETS = (
    "{county}{road}{n}号商业用房，建筑面积{area}平方米",
    "公务车辆一辆（浙A{plate}），已使用{n}年",
    "{county}{road}{n}号仓库及附属设施",
    "闲置办公设备一批，共{n}台（套）",
    "{road}{n}号住宅一套，原承租人{name}，联系电话{phone}",
)
SUMMARIES = (
    "研究{item}项目投资事项",
    "审议{road}地块开发项目",
    "讨论{name}同志任职事项",
    "审议大额资金出借事项，经办人{name}（{phone}）",
    "审议{item}外包合同",
    "研究年度预算调整方案",
)
ROADS = (
    "文三路",
    "天目山路",
    "学院路",
    "古墩路",
    "文一西路",
    "莫干山路",
    "解放路",
    "中山北路",
    "钱江路",
    "滨盛路",
    "江南大道",
    "人民路",
)


class Writer:
    """Fills templates with random fragments and people from a small pool."""

    def __init__(self, rng: np.random.Generator, names: list[str], pool: int = 400) -> None:
        self.rng = rng
        self.people = list(
            zip(
                names[:pool],
                identifiers.resident_ids(rng, pool),
                identifiers.mobiles(rng, pool),
                strict=False,
            )
        )

    @classmethod
    def for_context(cls, ctx: Context, part: str) -> Writer:
        """A writer with its own random stream and pool of people."""
        rng = ctx.rng(part)
        return cls(rng, ctx.names.take(rng, 400))

    def _pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(0, len(options)))]

    def _fill(self, template: str, **known: object) -> str:
        rng = self.rng
        name, idn, phone = self.people[int(rng.integers(0, len(self.people)))]
        values: dict[str, object] = {
            "item": self._pick(ITEMS),
            "road": self._pick(ROADS),
            "n": int(rng.integers(1, 400)),
            "year": int(rng.integers(2024, 2027)),
            "k": int(rng.integers(1, 7)),
            "area": int(rng.integers(40, 3000)),
            "plate": f"{int(rng.integers(10000, 99999))}",
            "name": name,
            "idn": idn,
            "phone": phone,
        }
        values.update(known)
        return template.format(**values)

    def purpose(self, payee: str) -> str:
        """A treasury payment's purpose."""
        return self._fill(self._pick(PURPOSES), payee=payee)

    def finding(self, kind: str, unit: str, amount: str) -> str:
        """An audit finding's description, for a finding type (``kind``) of ``FINDINGS``."""
        return self._fill(self._pick(FINDINGS[kind]), unit=unit, amount=amount)

    def asset(self, county: str) -> str:
        """A disposed asset's description."""
        return self._fill(self._pick(ASSETS), county=county)

    def summary(self) -> str:
        """A major decision's summary."""
        return self._fill(self._pick(SUMMARIES))
