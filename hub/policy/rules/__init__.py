"""Officer rules (安全员策略规则): access rules security officers define as policy data.

Rules are data, not code: a rule set (``schema``) is drafted, validated against the
policy cases, replayed against the audit log (``replay``) and activated only when two
security officers other than its author sign it (``revisions``).  The active revision is
part of ``data.hub`` (``data.hub.rules``) and the same Rego policies evaluate it
(``policies/hub/officer_rules.rego``), compiled for them by ``compiled``.
"""
