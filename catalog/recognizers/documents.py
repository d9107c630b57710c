# ruff: noqa: E501  (CJK text counts double-width; data lines read better unbroken)
"""Travel and vehicle documents: passports (护照号) and licence plates (车牌号)."""

from __future__ import annotations

from catalog.recognizers._base import REFERENCE_WORDS, ZhPatternRecognizer, bounded

# Province abbreviations that start a plate; 使/领 plates are diplomatic.
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"  # plates never use I or O


class PassportRecognizer(ZhPatternRecognizer):
    """CN_PASSPORT: E/G + 8 digits, E + letter + 7 digits; D/S/P + 7 digits only with 护照 nearby."""

    ENTITY = "CN_PASSPORT"
    PREFILTER = r"[DEGPS][0-9A-Z][0-9]{6}"
    PATTERNS = (
        ("ordinary", bounded(r"[EG][0-9]{8}"), 0.6),
        ("ordinary_2012", bounded(rf"E[{_LETTER}][0-9]{{7}}"), 0.5),
        ("official", bounded(r"[DSP][0-9]{7}"), 0.15),
    )
    CONTEXT = ("护照", "passport", "出入境", "出境", "证件号")
    NEGATIVE_CONTEXT = REFERENCE_WORDS


class LicensePlateRecognizer(ZhPatternRecognizer):
    """CN_LICENSE_PLATE: ordinary (省 + letter + 5) and new-energy (省 + letter + 6, D/F) plates."""

    ENTITY = "CN_LICENSE_PLATE"
    PREFILTER = rf"[{PLATE_PROVINCES}][{_LETTER}]"
    PATTERNS = (
        (
            "new_energy",
            rf"[{PLATE_PROVINCES}][{_LETTER}][·• -]?(?:[DF][{_LETTER}0-9][0-9]{{4}}|[0-9]{{5}}[DF])(?![0-9A-Za-z])",
            0.8,
        ),
        (
            "ordinary",
            rf"[{PLATE_PROVINCES}][{_LETTER}][·• -]?[{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警](?![0-9A-Za-z])",
            0.7,
        ),
    )
    CONTEXT = ("车牌", "牌照", "号牌", "车辆", "驾驶", "机动车")

    def validate_result(self, pattern_text: str) -> bool | None:
        """Ordinary plates carry at least three digits in their last five characters."""
        tail = pattern_text[-5:]
        return None if sum(c.isdigit() for c in tail) >= 3 else False
