"""Where the detectors run: a background thread in the API process (``hub serve``, ``hub demo``).

Why there and not in a Dagster sensor: the target is detection within a minute of an
attack's start, and the API process is where the records are written — a thread that
reads the records after its cursor every ``HUB_AWARENESS_INTERVAL_S`` (2 s) is at most a
few seconds behind, with nothing else to run.  A Dagster sensor ticks every 30 s at
best and only while a daemon runs, which the embedded default has not.  Several API
processes may each run a watcher: the cursor is claimed per pass (``Scanner``), so
they never double-count, one simply wins each pass.  ``hub alerts scan`` runs one
drain by hand; the Dagster job ``awareness_scan`` does the same for deployments that
switch the watcher off (``HUB_AWARENESS_WATCH=false``).

A second thread sends queued webhook messages, so a slow receiver never delays
detection.  Either thread logs and carries on after an error (a store outage, say):
the cursor did not move, so nothing is lost.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from hub.awareness.notify import Webhook
from hub.awareness.scanner import Scanner
from hub.store.db import Store

log = logging.getLogger(__name__)


class Watcher:
    """The detector thread (and the webhook thread when a webhook is configured)."""

    def __init__(self, scanner: Scanner, interval_s: float, webhook: Webhook | None = None,
                 store: Store | None = None) -> None:
        self.scanner, self.interval_s, self.webhook = scanner, interval_s, webhook
        self.store = store or scanner.store
        self._stop = threading.Event()
        self._wake_sender = threading.Event()
        self._threads: list[threading.Thread] = []
        self.passes = 0

    def start(self) -> None:
        """Start the threads (daemon threads: they never hold the process up)."""
        self._stop.clear()
        self._threads = [threading.Thread(target=self._loop, args=(self._scan,), name="awareness-detect",
                                          daemon=True)]
        if self.webhook is not None:
            self._threads.append(threading.Thread(target=self._loop, args=(self._send,), name="awareness-webhook",
                                                  daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask the threads to stop and wait for them."""
        self._stop.set()
        self._wake_sender.set()
        for thread in self._threads:
            thread.join(timeout_s)
        self._threads = []
        if self.webhook is not None:
            self.webhook.close()

    def _loop(self, work: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                work()
            except Exception:  # noqa: BLE001 - a detector thread must outlive a store outage
                log.exception("awareness: %s failed; retrying in %.1f s", work.__name__, self.interval_s)
            self._stop.wait(self.interval_s)

    def _scan(self) -> None:
        results = self.scanner.drain()
        self.passes += len(results)
        if any(r.raised for r in results):
            self._wake_sender.set()

    def _send(self) -> None:
        assert self.webhook is not None
        self._wake_sender.wait(self.interval_s)
        self._wake_sender.clear()
        self.webhook.deliver(self.store)
