# Huitong access decision (DESIGN.md §4).  The one entry point is data.hub.decision.
#
# A request is denied when any hard rule in `deny` fires (lockdown, never-exchanged,
# unknown subject, ...).  Otherwise exactly one `permit` object (defined per action in
# actions.rego and read.rego) is the decision.  When no permit applies, the reasons in
# `why_not` explain which rule and which grant fell short.  Every reason starts with
# "rule <name>:" so officers can trace it to this directory.
#
# Written for speed on regopy, whose VM spends microseconds on each step, more on a
# built-in call, and more on a lookup the more keys the object holds:
# - membership is a lookup (`read_actions[action]`), not `in`; `not a == b` stands for
#   `a != b` where both sides are always defined (`in` and `!=` are built-in calls);
# - input members take their defaults from `default` rules, not object.get: besides
#   being cheaper, a reason naming a value from object.get's default "" would break
#   regopy's output (it renders that value as `""`, unescaped, in the JSON it returns);
# - a lookup is keyed by a variable: regopy compiles one keyed by a bare function
#   argument, or by a call, into a scan of the whole collection (hence `name := c`);
# - what depends on the policy data alone is worked out once per data revision into
#   data.hub.index (hub/policy/index.py): a subject's grants on a dataset, their windows
#   and daily budgets, partners' purposes; the rules themselves stay here.
package hub

actions := {"read", "changes", "describe", "apply", "approve", "audit"}

read_actions := {"read", "changes"}

# Actions on a dataset's rows (and the application for them), and those that also need
# a sound catalog entry.
row_actions := {"read", "changes", "apply"}

cataloged_actions := {"read", "changes", "apply", "describe"}

subject_kinds := {"partner", "officer", "operator"}

staff_kinds := {"officer", "operator"}

sharing_types := {"unconditional", "conditional", "none"}

default action := ""

action := input.action

default subject := {}

subject := input.subject

default resource := {}

resource := input.resource

default request := {}

request := input.request

default context := {}

context := input.context

default dataset := ""

dataset := resource.dataset

# Resource members read by several rules, looked up once.
sharing_type := resource.sharing_type

resource_level := resource.level

region_column := resource.region_column

decision := result if {
	deny == set()
	result := shaped_permit # permit as officer rules shape it (officer_rules.rego)
} else := {
	"allow": false,
	"reasons": denial_reasons,
	"grant": null,
	"columns": {},
	"row_filter": null,
	"max_rows": 0,
	"quota": null,
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
	"quota": null,
}

deny contains sprintf("rule unknown-action: `%v` is not one of %v", [action, sorted(actions)]) if {
	not actions[action]
}

deny contains sprintf("rule unknown-subject: subject kind `%v` is not one of %v", [subject_kind, sorted(subject_kinds)]) if {
	not subject_kinds[subject_kind]
}

# A sorted array of a set's members (written out because engines differ on sort(set):
# regopy returns a set).
sorted(s) := sort([x | some x in s])
