"""CSV text of a dropped file: strict decoding and whole records (connectors.kinds.csvtext)."""

from __future__ import annotations

import pytest

from connectors.kinds.csvtext import Undecodable, decode, records


def test_utf8_in_a_gb18030_file_is_named_not_turned_into_mojibake() -> None:
    data = "审计,发现\n".encode()
    assert data.decode("gb18030") != "审计,发现\n"  # a lenient reader would have loaded mojibake
    found = decode(data, "gb18030")
    assert isinstance(found, Undecodable) and found.reason == "declared GB18030 (by its name) but the content is UTF-8"


def test_gb18030_text_with_a_lone_utf8_looking_pair_stays_gb18030() -> None:
    data = "露,a\n".encode("gb18030")  # C2 B6: also the UTF-8 of ¶
    assert decode(data, "gb18030") == "露,a\n"


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_character_cut_by_the_end_of_the_file_marks_the_last_record_cut(encoding: str) -> None:
    data = "id,x\n1,审计".encode(encoding)[:-1]
    text = decode(data, encoding)
    assert isinstance(text, str) and text.endswith("\ufffd")
    assert [r.problem[0] if r.problem else None for r in records(text)] == [None, "unterminated_record"]


@pytest.mark.parametrize(("text", "problem"), [
    ('a,"b"c\n', "bad_quoting"),
    ('a,b"c\n', "unbalanced_quotes"),
    ("a,b\x00c\n", "nul_character"),
    ('a,"b\n', "unterminated_record"),
    ('a,"b\r\n', "unterminated_record"),  # the file ends inside a quoted field, right after a line end in it
    ("a,b", "unterminated_record"),
    ('a,"b"', "unterminated_record"),  # a closing quote proves nothing: "b" may have been "b""c"
    ("a,b\r", None),
    ('a,"b\r\nc"\n', None),
])
def test_record_problems(text: str, problem: str | None) -> None:
    (record,) = list(records(text))
    assert (record.problem[0] if record.problem else None) == problem


def test_a_malformed_record_does_not_end_the_file() -> None:
    found = list(records('h1,h2\r\n1,"x"y\r\n\r\n2,ok\r\n'))
    assert [(r.line, r.values, r.problem is None) for r in found] == [
        (1, ["h1", "h2"], True), (2, [], False), (4, ["2", "ok"], True)]
