"""Queued appends and how their callers learn the outcome (the audit writer's hand-off).

A blocking caller waits on its own lock, which is released once its record is durable.
After a batch commits, the writer wakes only the first caller of the batch and each
woken caller wakes the next (``wake``).  Waking all of them at once puts dozens of
threads in the GIL's queue together: each wakes, finds the GIL taken and sleeps again
on it (forcing switches), and the writer queues behind them for the GIL after its
statement.  Passed along, the wake-ups are spread out and far fewer find the GIL taken
(at 64 writers: about 1.7 context switches per append instead of 2.8).

A caller that stops waiting (its deadline passed, or it was interrupted) leaves the
chain; ``abandon`` makes sure the callers after it are still woken, exactly once.

An asyncio caller passes a future of its own event loop; the writer settles all the
futures of one loop in a batch with ONE ``call_soon_threadsafe`` (one wake-up of the loop
per batch, not one per caller as ``asyncio.wrap_future`` makes).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from concurrent.futures import Future
from typing import Any

from hub.audit.errors import AuditUnavailable
from hub.audit.record import AuditRecordView, Prepared

_LEAVING = threading.Lock()  # orders a timed-out caller's leaving against its wake-up (rare)


class Pending:
    """One queued append of one or more events, and how its caller learns the outcome.

    The events of one ``Pending`` are written in the same batch, one after another, or not
    at all (``AuditLog.append_many``: a delivery's decision and delivery records).
    A blocking caller waits on ``done`` (a lock released for it: cheaper than a Future);
    an asyncio caller passes a ``future`` instead, which may be cancelled before it is written.
    """

    __slots__ = ("prepared", "done", "future", "waiter", "ts", "links", "error", "next", "released", "gone",
                 "passed")

    def __init__(self, *prepared: Prepared, future: Future[list[AuditRecordView]] | None = None,
                 waiter: asyncio.Future[list[AuditRecordView]] | None = None) -> None:
        self.prepared = prepared
        self.future = future
        self.waiter = waiter  # an asyncio caller's future (settled on its own loop)
        self.done = threading.Lock()
        self.done.acquire()
        self.ts = ""
        self.links: list[tuple[int, str, str]] = []
        self.error: AuditUnavailable | None = None
        self.next: Pending | None = None  # the blocking caller this one wakes after waking
        self.released = False  # ``done`` was released for it
        self.gone = False  # its caller stopped waiting
        self.passed = False  # the wake-up was passed on to ``next`` (only tracked once gone)

    def wanted(self) -> bool:
        """False if its asyncio caller gave up before the writer took it."""
        if self.waiter is not None:
            return not self.waiter.done()  # (a caller gone after this: its record still lands)
        return self.future is None or self.future.set_running_or_notify_cancel()

    def views(self) -> list[AuditRecordView]:
        """The durable records, in order (after ``finish``)."""
        return [AuditRecordView.chained(p.fields, seq, self.ts, prev, hash_)
                for p, (seq, prev, hash_) in zip(self.prepared, self.links, strict=True)]


def finish(batch: list[Pending], ts: str, links: list[tuple[int, str, str]]) -> None:
    """Writer side: every record of ``batch`` is durable (``links`` in batch order); wake the first caller."""
    first: Pending | None = None
    last: Pending | None = None
    if len(links) != sum(len(p.prepared) for p in batch):
        raise ValueError("one link per prepared event of the batch")
    at = 0
    settled: dict[Any, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = defaultdict(list)
    for p in batch:
        p.ts, p.links = ts, links[at:at + len(p.prepared)]
        at += len(p.prepared)
        if p.waiter is not None:
            settled[p.waiter.get_loop()].append((p.waiter, p.views(), None))
            continue
        if p.future is not None:
            p.future.set_result(p.views())
            continue
        if last is None:
            first = p
        else:
            last.next = p
        last = p
    _settle_waiters(settled)
    wake(first)


def _settle_waiters(settled: dict[Any, list[tuple[asyncio.Future[Any], Any, BaseException | None]]]) -> None:
    for loop, outcomes in settled.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    """On the caller's loop: each future gets its records, or the error (unless it gave up)."""
    for waiter, result, error in outcomes:
        if waiter.done():
            continue
        if error is not None:
            waiter.set_exception(error)
        else:
            waiter.set_result(result)


def fail(batch: list[Pending], error: AuditUnavailable) -> None:
    """Writer side: no record of ``batch`` could be made durable; tell every caller at once."""
    settled: dict[Any, list[tuple[asyncio.Future[Any], Any, BaseException | None]]] = defaultdict(list)
    for p in batch:
        p.error = error
        if p.waiter is not None:
            settled[p.waiter.get_loop()].append((p.waiter, None, error))
        elif p.future is not None:
            p.future.set_exception(error)
        else:
            p.released = True
            p.done.release()
    _settle_waiters(settled)


def wake(p: Pending | None) -> None:
    """Release ``p``'s caller; if it already left, wake the next one in its place."""
    while p is not None:
        p.released = True
        p.done.release()
        if not p.gone:
            return  # its caller wakes the next (``abandon`` if it leaves after all)
        with _LEAVING:
            if p.passed:
                return
            p.passed = True
        p = p.next


def abandon(p: Pending) -> None:
    """The caller of ``p`` stops waiting; if ``p`` was released meanwhile, it wakes the next itself.

    ``wake`` sets ``released`` before it reads ``gone`` and this sets ``gone`` before it reads
    ``released``, so at least one of them sees the other and ``passed`` (under the lock) makes it one.
    """
    with _LEAVING:
        p.gone = True
        if p.passed or not p.released:
            return  # not released yet: whoever releases it sees ``gone`` and passes on
        p.passed = True
    wake(p.next)
