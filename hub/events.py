"""Typed audit events: what the hub records, independent of how it is stored.

Every state change and every data decision is described by an ``AuditEvent``.
Code that changes state takes an ``EventSink`` and calls it with the session of
the change, so the event and the change commit (or fail) together; the audit log
(``hub.audit``) provides the real sink.  ``discard`` is the sink for contexts
with no audit log (unit tests of pure logic only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

# Event names (the ``event`` field of an audit record).
DATA_DECISION = "data.decision"
DATA_DELIVERY = "data.delivery"
TOKEN_ISSUED = "token.issued"
TOKEN_REJECTED = "token.rejected"
APPLICATION_CREATED = "application.created"
APPLICATION_DECIDED = "application.decided"
GRANT_CREATED = "grant.created"
GRANT_REVOKED = "grant.revoked"
PARTNER_REGISTERED = "partner.registered"
OFFICER_REGISTERED = "officer.registered"
OFFICER_REMOVED = "officer.removed"
OFFICER_SIGNED = "officer.signed"  # first signature of an action that needs a second officer
OFFICER_BOOTSTRAP_CLOSED = "officer.bootstrap_closed"
PARTNER_LOCKDOWN = "partner.lockdown"
PARTNER_LOCKDOWN_LIFTED = "partner.lockdown_lifted"
POLICY_REVISION = "policy.revision"
# officer rules (hub.policy.rules.revisions): a signed draft, its activation or a rollback (two officers)
POLICY_RULES_DRAFTED = "policy.rules_drafted"
POLICY_RULES_ACTIVATED = "policy.rules_activated"
POLICY_RULES_ROLLED_BACK = "policy.rules_rolled_back"
CATALOG_LEVEL_CHANGED = "catalog.level_changed"
CATALOG_REVIEWED = "catalog.reviewed"
PROVIDER_REGISTERED = "provider.registered"
OPERATOR_READ = "operator.read"
# the officer console (hub.console): logins, sessions and what officers look at or check there
CONSOLE_LINK_ISSUED = "console.link_issued"  # a one-time login link, issued to a signed login statement
CONSOLE_LOGIN = "console.login"  # the link was used (or refused): a session opened
CONSOLE_LOGOUT = "console.logout"  # a session ended: logout, idle or absolute timeout
CONSOLE_PREVIEW = "console.preview"  # an exposure preview of an application (what the partner would get)
CONSOLE_SIMULATE = "console.simulate"  # a policy simulation from the console
CONSOLE_VERIFY = "console.verify"  # a chain verification or a receipt check run from the console
CONSOLE_EXPORT = "console.export"  # an evidence bundle exported
CONSOLE_IMPACT = "console.impact"  # an impact replay of officer rules run from the console
# federation (hub.federation): trusted publishers of model packages, and the packages themselves
FEDERATION_PUBLISHER_TRUSTED = "federation.publisher_trusted"  # two officers registered another hub
FEDERATION_PUBLISHER_DISTRUSTED = "federation.publisher_distrusted"
MODEL_PUBLISHED = "model.published"  # this hub signed a model package
MODEL_INSTALLED = "model.installed"  # a package from a trusted publisher passed every check and joined
MODEL_REFUSED = "model.refused"  # a package was refused (signature, publisher, contract, tests): why
MODEL_REVOKED = "model.revoked"  # this hub signed the revocation of a model it published
MODEL_WITHDRAWN = "model.withdrawn"  # an installed model left the project on its publisher's revocation
AUDIT_RECOVERED = "audit.recovered"  # the audit log writes again after appends failed (hub.audit.health)
CERT_REGISTERED = "partner.certificate_registered"  # a partner TLS client certificate (hub.certificates)
KEYS_ROTATED = "keys.rotated"  # a master or signing key was rotated (hub keys rotate; hub.kms.rotation)
ALERT_RAISED = "alert.raised"  # a detector raised an alert (subject system:awareness)
ALERT_ACKNOWLEDGED = "alert.acknowledged"
ALERT_RESOLVED = "alert.resolved"
DATASET_SUSPENDED = "dataset.suspended"  # circuit breaker (一键熔断): no partner reads the dataset
DATASET_RESUMED = "dataset.resumed"
PARTNER_KEY_REVOKED = "partner.key_revoked"  # forced key rotation
PARTNER_KEY_ADDED = "partner.key_added"
SECURITY_CHECK = "security.check"  # the periodic security check wrote its report


@dataclass(frozen=True)
class AuditEvent:
    """One event; the audit log adds ``seq``, ``ts``, ``prev_hash`` and ``hash``."""

    event: str
    subject: str | None = None
    action: str | None = None
    request_id: str | None = None
    dataset: str | None = None
    dataset_version: str | None = None
    purpose: str | None = None
    decision: str | None = None  # allow | deny | ok | error
    reasons: list[str] = field(default_factory=list)
    grant: str | None = None
    policy_revision: str | None = None
    obligations_digest: str | None = None
    rows: int | None = None
    response_sha256: str | None = None
    client_ip: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The event as a plain dict (the audit record without chain fields)."""
        return asdict(self)


class EventSink(Protocol):
    """Writes an event inside the caller's transaction."""

    def __call__(self, session: Session, event: AuditEvent) -> None: ...


# Appends an event on its own (e.g. ``AuditLog.append``) and returns its record;
# raising means the audit log is down and the caller must fail closed.
Audit = Callable[[AuditEvent], object]


def discard(session: Session, event: AuditEvent) -> None:
    """A sink that records nothing (for pure-logic unit tests only)."""
