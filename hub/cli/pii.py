"""``hub pii scan``: Chinese PII detection over stdin lines (DESIGN.md §5).

Each UTF-8 line on stdin becomes one JSON line on stdout, written and flushed as
soon as the line is analysed, so the command streams.  A line that is not UTF-8
stops the scan with an error naming the line number.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import BinaryIO, TextIO

import typer

app = typer.Typer(help="Personal-information detection.", no_args_is_help=True)


def _lines(stream: BinaryIO) -> Iterator[str]:
    from catalog.pii import TextDecodeError  # Presidio and jieba load only when scanning

    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TextDecodeError(f"stdin line {number} is not valid UTF-8 (byte {exc.start})") from None
        yield line.rstrip("\r\n")


def scan_stream(source: BinaryIO, sink: TextIO) -> int:
    """Scan every line of ``source`` into ``sink``; returns the number of lines."""
    from catalog.pii import scan

    count = 0
    for count, line in enumerate(_lines(source), start=1):  # noqa: B007
        entities = [entity.as_dict() for entity in scan(line)]
        sink.write(json.dumps({"entities": entities}, ensure_ascii=False) + "\n")
        sink.flush()
    return count


@app.command("scan")
def scan_command() -> None:
    """UTF-8 lines on stdin → one JSON line each with the entities found."""
    scan_stream(sys.stdin.buffer, sys.stdout)
