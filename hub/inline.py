"""Work on the event loop that must not wait: ``attempt`` marks it, ``check`` refuses to wait inside it.

A warm data request (issue 13) needs nothing but memory: a cached decision, rows from its
process's quota lease, a masked view already built.  Handing it to a worker thread cost
more than the page itself (≈ 11 % of its CPU: the pool, the future, the thread switch and
the wake-up of the loop).  ``Exchange.read_async`` therefore runs it on the event loop
first, inside ``attempt()``; every step that may wait — a store read, a policy evaluation,
a ledger write, a view or snapshot to build, an audit append of a refusal — calls
``check(what)`` before it begins, which raises ``WouldBlock`` inside an attempt.  The
caller then runs the whole request in a worker thread as before.  ``check`` comes before
anything that leaves a trace (a record, a charge, a counter of a refusal): an attempt that
gave up has changed nothing but memory that its own unwinding gives back (a page's rows
returned to the lease).

``WouldBlock`` is a ``BaseException``: the fail-closed ``except Exception`` handlers of the
path (a policy engine failure is a deny, a ledger failure a 503) must let it through
untouched, not turn it into a refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()


class WouldBlock(BaseException):  # noqa: N818 - a signal, not an error: see the module docstring
    """Raised by ``check`` inside ``attempt``: this step would wait; run the request in a thread."""


@contextmanager
def attempt() -> Iterator[None]:
    """Mark this thread's work as not allowed to wait until the block ends."""
    _state.on = True
    try:
        yield
    finally:
        _state.on = False


def check(what: str) -> None:
    """Raise ``WouldBlock`` (naming ``what``) inside ``attempt``; nothing otherwise."""
    if getattr(_state, "on", False):
        raise WouldBlock(what)


def active() -> bool:
    """Whether this thread is inside ``attempt``."""
    return bool(getattr(_state, "on", False))
