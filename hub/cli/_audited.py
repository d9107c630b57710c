"""A store session with the audit log's sink, for CLI commands that change state.

The change and its audit record commit together (or not at all), as in the
workflow commands.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from hub.events import EventSink
from hub.settings import get_settings
from hub.store.db import open_store

T = TypeVar("T")


def run_audited(work: Callable[[Session, EventSink], T]) -> T:
    """Run ``work`` in one store transaction with the real audit sink."""
    from hub.audit.log import AuditLog

    settings = get_settings()
    store = open_store(settings.metadata_url)
    try:
        with AuditLog.from_settings(store, settings) as audit, store.session() as session:
            return work(session, audit.sink)
    finally:
        store.dispose()


def read_only(work: Callable[[Session], T]) -> T:
    """Run ``work`` in a store session that changes nothing."""
    store = open_store(get_settings().metadata_url)
    try:
        with store.session() as session:
            return work(session)
    finally:
        store.dispose()
