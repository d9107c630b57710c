# Huitong access decision (DESIGN.md §4).  The one entry point is data.hub.decision.
#
# A request is denied when any hard rule in `deny` fires (lockdown, never-exchanged,
# unknown subject, ...).  Otherwise exactly one `permit` object (defined per action in
# actions.rego and read.rego) is the decision.  When no permit applies, the reasons in
# `why_not` explain which rule and which grant fell short.  Every reason starts with
# "rule <name>:" so officers can trace it to this directory.
package hub

actions := {"read", "changes", "describe", "apply", "approve", "audit"}

read_actions := {"read", "changes"}

subject_kinds := {"partner", "officer", "operator"}

action := object.get(input, "action", "")

subject := object.get(input, "subject", {})

resource := object.get(input, "resource", {})

request := object.get(input, "request", {})

context := object.get(input, "context", {})

dataset := object.get(resource, "dataset", "")

decision := result if {
	count(deny) == 0
	result := permit
} else := {
	"allow": false,
	"reasons": denial_reasons,
	"grant": null,
	"columns": {},
	"row_filter": null,
	"max_rows": 0,
}

denial_reasons := sorted(deny) if {
	count(deny) > 0
} else := sorted(why_not) if {
	count(why_not) > 0
} else := [sprintf("rule default-deny: no rule allows `%v` on `%v` for this subject", [action, dataset])]

# An allow decision without data obligations (describe, apply, approve, audit).
plain_allow(reason) := {
	"allow": true,
	"reasons": [reason],
	"grant": null,
	"columns": {},
	"row_filter": null,
	"max_rows": null,
}

deny contains sprintf("rule unknown-action: `%v` is not one of %v", [action, sorted(actions)]) if {
	not action in actions
}

deny contains sprintf("rule unknown-subject: subject kind `%v` is not one of %v", [kind, sorted(subject_kinds)]) if {
	kind := object.get(subject, "kind", "")
	not kind in subject_kinds
}

# A sorted array of a set's members (written out because engines differ on sort(set)).
sorted(s) := sort([x | some x in s])
