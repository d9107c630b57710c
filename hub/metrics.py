"""Metrics: the hub's Prometheus registry, shared by every component of the API.

The API records requests and tokens here; the exchange records decisions by
outcome, rows delivered and audit-append latency with the metrics below.  Labels
take bounded values only (route templates, outcomes, dataset ids) — never a
subject, a path with parameters or anything a client typed.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter("hub_http_requests", "HTTP requests by method, route template and status",
                        ["method", "route", "status"], registry=REGISTRY)
HTTP_LATENCY = Histogram("hub_http_request_duration_seconds", "HTTP request latency by route",
                         ["route"], registry=REGISTRY)
TOKENS_ISSUED = Counter("hub_tokens_issued", "access tokens issued by client kind", ["kind"],
                        registry=REGISTRY)
TOKENS_REJECTED = Counter("hub_tokens_rejected", "credentials refused by stage and reason code",
                          ["stage", "reason"], registry=REGISTRY)
DECISIONS = Counter("hub_decisions", "policy decisions by action and outcome (allow|deny|error)",
                    ["action", "outcome"], registry=REGISTRY)
ROWS_DELIVERED = Counter("hub_rows_delivered", "rows delivered to partners by dataset and format",
                         ["dataset", "format"], registry=REGISTRY)
EXCHANGE_PAGES = Counter("hub_exchange_pages", "data pages served, by where they were cut (view | plan)",
                         ["source"], registry=REGISTRY)
EXCHANGE_PREPARED = Counter("hub_exchange_prepared", "data pages by where they were prepared: on the event loop "
                            "(everything warm, hub.inline) or in a worker thread", ["where"], registry=REGISTRY)
DECISION_CACHE = Counter("hub_decision_cache", "decision-cache lookups by outcome (hit|miss)", ["outcome"],
                         registry=REGISTRY)
TOKEN_CACHE = Counter("hub_token_cache", "access-token verification cache lookups by outcome (hit|miss)",
                      ["outcome"], registry=REGISTRY)
QUOTA_RESERVATIONS = Counter("hub_quota_reservations", "daily-budget reservations by outcome "
                             "(charged|refused|error)", ["outcome"], registry=REGISTRY)
QUOTA_RECONCILED = Counter("hub_quota_reconciled", "reservations closed by reconciliation with the audit "
                           "log (confirmed: a delivery record was found; released: none, lease expired)",
                           ["outcome"], registry=REGISTRY)
AUDIT_APPEND = Histogram("hub_audit_append_seconds",
                         "latency of one audit-log append (one batch of a caller's events)", registry=REGISTRY)
ALERTS_OPEN = Gauge("hub_alerts_open", "live (open or acknowledged) alerts by severity and kind",
                    ["severity", "kind"], registry=REGISTRY)


def render() -> tuple[bytes, str]:
    """The registry in the Prometheus text format, with its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
