"""``prefetch``: run a producing iterator in a worker thread, a few items ahead.

The sql kind reads (driver fetches, building Arrow columns) and conforms its
batches in the worker while the caller loads the previous ones into the warehouse
(DuckDB releases the GIL); overlapping the two keeps both cores busy.  The worker
owns the iterator from start to close, so drivers that insist on one thread per
connection (sqlite3) are satisfied, and an early stop by the consumer closes it
promptly.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _work(source: Iterator[Any], q: queue.Queue[Any], stop: threading.Event) -> None:
    try:
        for item in source:
            if not _put(q, item, stop):
                return
        _put(q, _DONE, stop)
    except BaseException as exc:  # noqa: BLE001 - handed to the consumer, re-raised there
        _put(q, exc, stop)
    finally:
        close = getattr(source, "close", None)
        if close:
            close()


def prefetch(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Items of ``source``, produced in a worker thread up to ``depth`` ahead."""
    q: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    worker = threading.Thread(target=_work, args=(source, q, stop), name="hub-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join(timeout=10)
