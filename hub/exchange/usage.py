"""Daily row usage per grant (``row_usage``), the input of the policy's daily quota.

Each delivery under a grant adds its rows to the (partner, grant, day) counter in
one upsert; days are in UTC+8 as in ``hub.policy.data``.  The policy point re-reads
the store at most ``recheck_seconds`` later, so the quota is enforced with that lag.
``UsageBuffer`` batches the writes of a busy API process.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from hub.errors import Unavailable
from hub.policy.data import today
from hub.store.db import Store
from hub.store.models import RowUsage

_T = cast(Table, RowUsage.__table__)
log = logging.getLogger(__name__)


class UsageUnavailable(Unavailable):
    """Row usage could not be recorded; the delivery is refused."""

    title = "row usage unavailable"


def record(store: Store, subject_id: str, grant_id: str, rows: int, now: datetime) -> None:
    """Add ``rows`` to today's usage of ``grant_id`` by ``subject_id``."""
    partner = subject_id.split(":", 1)[-1]
    values: dict[str, Any] = {"partner_id": partner, "grant_id": grant_id, "day": today(now), "rows": rows}
    insert = sqlite_insert if store.engine.dialect.name == "sqlite" else pg_insert
    stmt = insert(_T).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["partner_id", "grant_id", "day"],
                                      set_={"rows": _T.c.rows + stmt.excluded.rows})
    try:
        with store.session() as session:
            session.execute(stmt)
    except SQLAlchemyError as exc:
        raise UsageUnavailable(f"row usage for grant `{grant_id}` not recorded: {exc}") from None



class UsageBuffer:
    """Row usage added in memory and written by one background thread every ``period_s``.

    Deliveries stay fast (no write transaction of their own competing with the audit
    writer); the counts reach the store within ``period_s``, in one upsert per grant.
    A failed flush keeps the counts for the next attempt and is logged; the durable
    delivery records in the audit log hold the same rows per grant in any case.
    """

    def __init__(self, store: Store, period_s: float = 1.0) -> None:
        self.store = store
        self.period_s = period_s
        self._pending: dict[tuple[str, str, datetime], int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failing = False

    def add(self, subject_id: str, grant_id: str, rows: int, now: datetime) -> None:
        """Count ``rows`` for ``grant_id`` (written within ``period_s``)."""
        day = now.replace(minute=0, second=0, microsecond=0)
        with self._lock:
            key = (subject_id, grant_id, day)
            self._pending[key] = self._pending.get(key, 0) + rows
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="row-usage", daemon=True)
                self._thread.start()

    def flush(self) -> None:
        """Write every pending count now."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for (subject_id, grant_id, day), rows in pending.items():
            try:
                record(self.store, subject_id, grant_id, rows, day)
            except UsageUnavailable:
                log.exception("row usage flush failed; retrying")
                self.failing = True
                with self._lock:
                    key = (subject_id, grant_id, day)
                    self._pending[key] = self._pending.get(key, 0) + rows
                return
        self.failing = False

    def _run(self) -> None:
        while not self._stop.wait(self.period_s):
            self.flush()

    def close(self) -> None:
        """Stop the writer after a last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.flush()
