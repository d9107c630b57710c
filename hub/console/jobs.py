"""Long work started from the console, run in the background with its progress.

A job runs in a thread and reports the records done so far, so the page can show a
progress bar while it runs: a chain verification (``kind`` ``verify``: the same check
as ``hub audit verify``, every hash, link, checkpoint signature and officer signature)
or an impact replay of officer rules (``impact``: ``hub policy impact``).  Jobs live in
the serving process only (a restart forgets them; the verification itself is
repeatable at will); at most ``MAX_JOBS`` are kept, the oldest finished ones dropped.

Each job reads the whole chain or replays days of decisions, so their number is
bounded: an officer who starts the same work again while it runs (a double click, a
reload of the form) is shown the running job, and at most ``MAX_RUNNING`` jobs run at
once in a console — one more is refused with a 429 naming the running ones, never
queued behind them as an unbounded number of threads.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hub.errors import Busy, Unavailable

MAX_JOBS = 20
MAX_RUNNING = 2  # one per core of the reference machine: more would only slow each other and the exchange


@dataclass
class Job:
    """One job: what it is, who started it, how far it is, and its report when done."""

    id: str
    officer: str
    total: int
    kind: str = "verify"
    subject: str = ""  # what it works on (e.g. the revision an impact replays)
    options: str = ""  # how (e.g. the days an impact replays): the same work has the same options
    done: int = 0
    report: Any = None
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def percent(self) -> int:
        if self.finished.is_set():
            return 100
        return min(99, int(100 * self.done / self.total)) if self.total else 0


#: ``progress(n, total=None)``: n more records done (and, when given, how many there are in all).
Progress = Callable[..., None]
Work = Callable[[Progress], Any]


class VerifyJobs:
    """The background jobs of one console (verifications and impact replays)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, officer: str, total: int, work: Work, on_done: Callable[[Job], None], *,
              kind: str = "verify", subject: str = "", options: str = "") -> Job:
        """Run ``work(progress)`` in a thread; ``on_done(job)`` is called when it ends.

        The officer's own running job of the same kind, subject and options is returned instead of a
        new one; `Busy` (a 429 page) when ``MAX_RUNNING`` jobs already run."""
        job = Job(secrets.token_hex(8), officer, total, kind, subject, options)
        with self._lock:
            running = [j for j in self._jobs.values() if not j.finished.is_set()]
            for same in running:
                if (same.officer, same.kind, same.subject, same.options) == (officer, kind, subject, options):
                    return same
            if len(running) >= MAX_RUNNING:
                now = ", ".join(" ".join(filter(None, (j.kind, j.subject, f"by {j.officer} ({j.percent} %)")))
                                for j in running)
                raise Busy(f"the console already runs {len(running)} long jobs ({now}): "
                           "start this one when one of them has finished", running=len(running))
            finished = [j for j in self._jobs.values() if j.finished.is_set()]
            for old in finished[: max(0, len(self._jobs) - MAX_JOBS + 1)]:
                self._jobs.pop(old.id, None)
            self._jobs[job.id] = job

        def progress(n: int, total: int | None = None) -> None:
            if total is not None:
                job.total = total
            job.done += n

        def run() -> None:
            try:
                job.report = work(progress)
            except Exception as exc:  # noqa: BLE001 - the page shows what failed
                job.error = f"{type(exc).__name__}: {exc}"
            finally:
                job.finished.set()
                try:
                    on_done(job)
                except Exception:  # noqa: BLE001 - recording the outcome must not kill the thread
                    job.error = job.error or f"the {job.kind} ran, but its audit record could not be written"

        try:
            threading.Thread(target=run, name=f"console-{job.kind}-{job.id}", daemon=True).start()
        except RuntimeError as exc:  # no thread to be had: the job never ran, so it holds no slot
            with self._lock:
                self._jobs.pop(job.id, None)
            raise Unavailable(f"the {kind} could not be started now ({exc}): try again shortly") from None
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)
