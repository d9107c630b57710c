"""Situational awareness (态势感知): detectors over the audit stream, alerts, containment, risk.

The flow: the audit log records everything → ``Scanner`` observes each record once
(cursor by ``seq``) through the stream detectors and, periodically, the state checks →
findings become alerts in the store (``alerts``) → new and escalated alerts are audited,
contained by their playbook (``playbooks``: lockdown, dataset suspension, key rotation)
and queued for the webhook (``notify``).  ``Watcher`` runs the scanner in the API
process.  ``risk`` computes the risk report and ``report`` the periodic security check.
Thresholds are ``HUB_AWARENESS_*`` settings (``thresholds``); docs/awareness.md is the
officers' and operators' guide.

Public surface for other parts of the hub: ``overview(store)`` (the console's summary),
``build_scanner`` / ``build_watcher``, ``Thresholds``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.awareness.alerts import Finding, as_dict, overview
from hub.awareness.notify import Webhook
from hub.awareness.scanner import PassResult, Scanner
from hub.awareness.thresholds import KINDS, SEVERITIES, Thresholds
from hub.awareness.watcher import Watcher

if TYPE_CHECKING:
    from hub.events import EventSink
    from hub.keys import KeyStore
    from hub.settings import Settings
    from hub.store.db import Store

__all__ = ["KINDS", "SEVERITIES", "Finding", "PassResult", "Scanner", "Thresholds", "Watcher", "Webhook",
           "as_dict", "build_scanner", "build_watcher", "overview", "webhook_from_settings"]


def webhook_from_settings(settings: Settings, **kwargs: Any) -> Webhook | None:
    """The configured webhook, or None when ``HUB_AWARENESS_WEBHOOK_URL`` is unset."""
    if not settings.awareness_webhook_url:
        return None
    secret = settings.awareness_webhook_secret.get_secret_value() if settings.awareness_webhook_secret else ""
    return Webhook(settings.awareness_webhook_url, secret.encode("utf-8"),
                   attempts=settings.awareness_webhook_attempts, backoff_s=settings.awareness_webhook_backoff_s,
                   **kwargs)


def build_scanner(settings: Settings, store: Store, sink: EventSink, keys: KeyStore, **kwargs: Any) -> Scanner:
    """A scanner with the thresholds and webhook choice of ``settings``."""
    kwargs.setdefault("state_check_s", settings.awareness_state_check_s)
    kwargs.setdefault("webhook_min_severity",
                      settings.awareness_webhook_min_severity if settings.awareness_webhook_url else None)
    return Scanner(store, sink, keys, Thresholds.from_settings(settings), **kwargs)


def build_watcher(settings: Settings, store: Store, sink: EventSink, keys: KeyStore) -> Watcher:
    """The API process's detector thread (and webhook thread) for ``settings``."""
    return Watcher(build_scanner(settings, store, sink, keys), settings.awareness_interval_s,
                   webhook_from_settings(settings), store)
