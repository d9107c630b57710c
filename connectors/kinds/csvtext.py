"""CSV text of a dropped file: decoding it strictly and splitting it into whole records.

``decode`` turns the bytes into text in the file's declared encoding (UTF-8, with or
without BOM, or GB18030 for ``*.gbk.csv``) or says why it cannot: bytes that do not
decode, with the lines and byte offsets where they sit and which encodings the
content does decode in (``charset-normalizer``'s guess among them), or a GB18030
file whose content is in fact UTF-8 (which GB18030 would silently turn into
mojibake).  A multibyte character cut by the end of the file is no encoding
problem: the file was cut, and its last record shows it.

``records`` splits the text into records with Python's ``csv`` in strict mode, one
record at a time, so a malformed record is a record-level problem, not the end of
the file.  Each record keeps its first line number, its text as delivered and
whether it was terminated: the last record of a file without a final line end may
have been cut anywhere (``…,2026-10-2`` of ``…,2026-10-25``) and nothing in it can
prove otherwise (not even a closing quote: ``"x"`` may be the start of ``"x""y"``),
so the reader quarantines it.  The splitting around ``csv`` is hand-written: the
module offers no record-at-a-time mode that survives an error.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

GB18030_SUFFIX = ".gbk.csv"
MAX_LISTED = 20  # lines and offsets named in an encoding report
_CUT = ("unexpected end of data", "incomplete multibyte sequence")


@dataclass(frozen=True)
class Record:
    """One CSV record: first line, fields, text as delivered, terminated, own problem if any."""

    line: int
    values: list[Any]  # text (None for an empty workbook cell)
    raw: str
    terminated: bool
    problem: tuple[str, str] | None = None  # (reason code, reason)


@dataclass(frozen=True)
class Undecodable:
    """Why a file's bytes are not text in its declared encoding, and what they look like."""

    code: str
    reason: str
    detail: dict[str, object] = field(default_factory=dict)

    def detail_json(self) -> str:
        return json.dumps(self.detail, ensure_ascii=False, sort_keys=True)


def declared_encoding(name: str) -> str:
    """The encoding a dropped CSV's name declares (README of the sources)."""
    return "gb18030" if name.lower().endswith(GB18030_SUFFIX) else "utf-8"


def decode(data: bytes, encoding: str) -> str | Undecodable:
    """``data`` as text, or why it is not ``encoding`` text (a cut last character is kept as U+FFFD)."""
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.end == len(data) and exc.reason in _CUT:
            return data[: exc.start].decode(codec) + "\ufffd"  # cut inside the last character
        return _undecodable(data, encoding, exc)
    if encoding != "utf-8" and _is_utf8(data):
        return Undecodable(
            "wrong_encoding",
            f"declared {encoding.upper()} (by its name) but the content is UTF-8",
            {"declared": encoding, "decodes_as": ["utf-8"], "guess": _guess(data)},
        )
    return text


def _is_utf8(data: bytes) -> bool:
    """Valid UTF-8 holding Chinese characters: GB18030 text practically never is (a lone GB18030
    character may happen to be a valid UTF-8 pair, hence at least two ideographs)."""
    if data.isascii():
        return False
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff") >= 2


def _undecodable(data: bytes, encoding: str, first: UnicodeDecodeError) -> Undecodable:
    lines, offsets = _bad_lines(data, encoding)
    candidates = [c for c in ("utf-8", "gb18030", "utf-16") if c != encoding and _decodes(data, c)]
    detail: dict[str, object] = {
        "declared": encoding,
        "first_bad_offset": first.start,
        "bad_lines": lines[:MAX_LISTED],
        "bad_line_count": len(lines),
        "bad_offsets": offsets[:MAX_LISTED],
        "decodes_as": candidates,
        "guess": _guess(data),
    }
    looks = f"; it decodes as {', '.join(candidates)}" if candidates else ""
    where = ", ".join(str(n) for n in lines[:5]) + (" …" if len(lines) > 5 else "")
    reason = (f"not {encoding.upper()} text: {len(lines)} line(s) do not decode (lines {where}; "
              f"first bad byte at offset {first.start}){looks}")
    return Undecodable("wrong_encoding", reason, detail)


def _bad_lines(data: bytes, encoding: str) -> tuple[list[int], list[int]]:
    """1-based numbers and byte offsets of the lines that do not decode in ``encoding``."""
    decoder = codecs.getincrementaldecoder(encoding)
    lines, offsets, offset = [], [], 0
    for number, chunk in enumerate(data.splitlines(keepends=True), start=1):
        try:
            decoder().decode(chunk, final=True)
        except UnicodeDecodeError as exc:
            lines.append(number)
            offsets.append(offset + exc.start)
        offset += len(chunk)
    return lines, offsets


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return encoding != "utf-16" or data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best guess of the encoding (None when it has none)."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:65536]).best()
    return best.encoding if best is not None else None


def records(text: str) -> Iterator[Record]:
    """The non-blank records of ``text``, each whole or carrying its problem."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            consumed.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    while True:
        start = len(consumed)
        try:
            values: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            values, error = None, str(exc)
        raw = "".join(consumed[start:])
        if values == []:
            continue  # a blank line
        yield _record(start + 1, values, raw, error if values is None else None)


def _record(line: int, values: list[str] | None, raw: str, error: str | None) -> Record:
    # "unexpected end of data": the file ended inside a quoted field (even right after a line end in it)
    terminated = raw.endswith(("\n", "\r")) and not (error or "").startswith("unexpected end of data")
    if not terminated:
        return Record(line, values or [], raw, False, (
            "unterminated_record", "the last record has no line end: the file may have been cut inside it"))
    if values is None:
        return Record(line, [], raw, True, ("bad_quoting", f"the record's quoting is malformed ({error})"))
    if raw.count('"') % 2:
        return Record(line, values, raw, True, ("unbalanced_quotes", "the record has an odd number of quotes"))
    if any("\x00" in v for v in values):
        return Record(line, values, raw, True, ("nul_character", "a field holds a NUL character"))
    return Record(line, values, raw, True)
