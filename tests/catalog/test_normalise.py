"""The normalised view: canonical characters, collapsed separators, spans mapped back exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from catalog.recognizers import normalise


def test_plain_text_is_its_own_view() -> None:
    view = normalise("举报人张伟，电话13812345678")
    assert view.text == view.original and view.span(3, 5) == (3, 5)


def test_full_width_digits_brackets_and_hyphens() -> None:
    view = normalise("电话（０５７１）８７６５－４３２１")
    assert view.text == "电话(0571)8765-4321"
    assert view.span(2, len(view.text)) == (2, len(view.original))


def test_dot_variants_become_one_dot() -> None:
    assert {normalise(f"买买提{d}艾力").text for d in "·•・‧"} == {"买买提·艾力"}


def test_separator_runs_between_digits_collapse_and_map_back() -> None:
    original = "卡号6222  0212 - 3456\u3000 7890"
    view = normalise(original)
    assert view.text == "卡号6222 0212-3456 7890"
    start, end = view.span(2, len(view.text))
    assert original[start:end] == "6222  0212 - 3456\u3000 7890"


def test_zero_width_characters_are_dropped_inside_a_span() -> None:
    original = "ID 3301\u200b06"
    view = normalise(original)
    assert view.text == "ID 330106"
    assert view.span(3, 9) == (3, len(original))


@given(st.lists(st.sampled_from(["1", "２", " ", "\u3000", "－", "-", "\u200b", "张", "（", "·", "•"]), max_size=30))
def test_every_span_maps_into_the_original(chars: list[str]) -> None:
    original = "".join(chars)
    view = normalise(original)
    for start in range(len(view.text)):
        for end in range(start + 1, len(view.text) + 1):
            a, b = view.span(start, end)
            assert 0 <= a < b <= len(original)
            # every normalised character comes from a character inside the mapped span
            assert len(original[a:b]) >= 1
