"""A child process that appends audit events and prints each seq once its append returned.

Usage: ``python appender.py DATABASE_URL KEYS_DIR TAG COUNT THREADS``.  Used by the
multi-process and crash tests; a line ``TAG SEQ`` on stdout means that append was durable.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from hub.audit import AuditLog, CheckpointPolicy
from hub.events import AuditEvent
from hub.keys import KeyStore
from hub.store import open_store


def main(url: str, keys_dir: str, tag: str, count: int, threads: int) -> None:
    store = open_store(url)
    log = AuditLog(store, KeyStore(Path(keys_dir)), policy=CheckpointPolicy(every=50, seconds=3600),
                   lock_timeout_s=30)
    out = threading.Lock()

    def work(worker: int) -> None:
        for i in range(count):
            record = log.append(AuditEvent("data.delivery", subject=f"partner:{tag}",
                                           request_id=f"{tag}-{worker}-{i}", rows=i))
            with out:
                sys.stdout.write(f"{record.request_id} {record.seq}\n")
                sys.stdout.flush()

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    log.close()
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
