"""Publish-time redaction (脱敏) of free text: every entity becomes ``<TYPE>``.

Presidio's ``AnonymizerEngine`` replaces what :mod:`catalog.pii` finds, e.g.
``收款人<PERSON>（<CN_RESIDENT_ID>）``.  Large inputs are split into chunks over a
process pool (each process builds its own analyzer once), so publishing a
100,000-row column uses every core; small inputs stay in-process.  Columns repeat
themselves (进度款（第2期） appears thousands of times), so each distinct text is
analysed once.  Pool workers die with the process that started them, even when it
is killed with SIGKILL (``hub run`` under ``kill -9``): on Linux each worker asks
the kernel for SIGKILL on its parent's death (``PR_SET_PDEATHSIG``), so no
half-gigabyte analyzer process is left behind.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pyarrow as pa
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig

from catalog.pii import analyze
from catalog.recognizers import ENTITY_TYPES

CHUNK = 500
IN_PROCESS_BELOW = 2_000
OPERATORS = {kind: OperatorConfig("replace", {"new_value": f"<{kind}>"}) for kind in ENTITY_TYPES}


@lru_cache(maxsize=1)
def _anonymizer() -> AnonymizerEngine:
    return AnonymizerEngine()


def redact_text(text: str | None) -> str | None:
    """``text`` with each detected entity replaced by ``<TYPE>`` (None stays None)."""
    if not text:
        return text
    results = analyze(text)
    if not results:
        return text
    return _anonymizer().anonymize(text=text, analyzer_results=results, operators=OPERATORS).text  # type: ignore[arg-type]


def _redact_chunk(chunk: Sequence[str | None]) -> list[str | None]:
    return [redact_text(text) for text in chunk]


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _die_with(parent: int) -> None:
    """Have the kernel SIGKILL this worker when ``parent`` dies, however it dies.

    Hand-written because no well-kept library wraps this one prctl call.  Elsewhere than
    Linux there is no such request; the pool's own shutdown is all there is."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _warm(parent: int) -> None:
    _die_with(parent)
    # A forked worker inherits its parent's signal handlers (Dagster installs its own, which
    # raise on SIGTERM); the pool ends workers with SIGTERM, so restore the defaults first.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    analyze("预热")


def redact_texts(texts: Iterable[str | None], workers: int = 2) -> list[str | None]:
    """Redact many texts (each distinct text once), in ``workers`` processes when there are enough."""
    items = list(texts)
    distinct = list(dict.fromkeys(items))
    if workers <= 1 or len(distinct) < IN_PROCESS_BELOW:
        done = _redact_chunk(distinct)
    else:
        chunks = [distinct[i : i + CHUNK] for i in range(0, len(distinct), CHUNK)]
        # fork: workers inherit the loaded analyzer and jieba instead of re-importing them
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_warm, initargs=(os.getpid(),))
        try:
            done = [text for part in pool.map(_redact_chunk, chunks, chunksize=1) for text in part]
        except BaseException:
            pool.terminate()
            raise
        else:
            pool.close()  # let workers exit on their own
        finally:
            pool.join()
    redacted = dict(zip(distinct, done, strict=True))
    return [redacted[text] for text in items]


def redact_column(column: pa.Array | pa.ChunkedArray, workers: int = 2) -> pa.Array:
    """A string column's redacted twin, for publishing (nulls stay null)."""
    values = [None if v is None else str(v) for v in column.to_pylist()]
    return pa.array(redact_texts(values, workers=workers), type=pa.string())
