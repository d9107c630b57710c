"""Whether the audit log can write: the writer's last failure, for ``/readyz``.

The audit log reports every append that could not be made durable (``failed``) and
every commit that was (``succeeded``).  While the last outcome is a failure the log
is not ready: requests that need an audit record are refused anyway, and a load
balancer should send them elsewhere.  ``AuditLog.ready`` tests the way back with one
real append (an ``audit.recovered`` record naming when the outage began), so a hub
that nobody sends traffic to while it is not ready still becomes ready again.
"""

from __future__ import annotations

import threading

from hub.audit.record import now_ts


class WriterHealth:
    """The audit writer's last outcome: failing since when, and why."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.probing = threading.Lock()  # one recovery probe at a time
        self.failed_since: str | None = None
        self.last_error: str | None = None

    @property
    def failing(self) -> bool:
        return self.failed_since is not None

    def failed(self, error: str) -> None:
        """An append was not made durable."""
        with self._lock:
            if self.failed_since is None:
                self.failed_since = now_ts()
            self.last_error = error[:300]

    def succeeded(self) -> None:
        """An append was made durable."""
        if self.failed_since is not None:
            with self._lock:
                self.failed_since = self.last_error = None
