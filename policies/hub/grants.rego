# Grants (授权): what a subject may read under an approved application, for which
# purposes, columns and time window (valid_from <= now < valid_until); and the
# two-person rule (双人审批) that alone lets PII columns go out clear.
#
# The grants come from data.hub.index.grants (hub/policy/index.py): per holder and
# dataset, lowest id first, each entry with its `id`, the `grant` itself, its purposes,
# columns and clear columns as lookups, its window in nanoseconds (`from_ns`, `until_ns`)
# and `max_rows` (per day).  The two-person rule itself stays here, written out below.
#
# The daily row budget is not decided here: the decision names it as an obligation
# (`quota: {grant, max_rows_per_day}`, read.rego) and the enforcement point charges each
# page against it in the metadata store before the rows leave (hub/quota/).  Today's
# usage is therefore no part of the input, and a decision stays the same all day long:
# the decision point can cache it.
package hub

default purpose := ""

purpose := request.purpose

now_ns := time.parse_rfc3339_ns(context.time)

# This subject's grants on this dataset (a grant's holder is "partner:<id>" unless the
# grant names a kind itself, such as "officer:sec-2").
default my_grants := []

my_grants := data.hub.index.grants[subject_kind][subject_key][dataset]

# A grant's window in nanoseconds: prepared with the data for times with a numeric UTC
# offset (as the store writes them), parsed here otherwise.
valid_from_ns(g) := ns if {
	ns := g.from_ns
} else := time.parse_rfc3339_ns(g.grant.valid_from)

valid_until_ns(g) := ns if {
	ns := g.until_ns
} else := time.parse_rfc3339_ns(g.grant.valid_until)

started(g) if valid_from_ns(g) <= now_ns

not_expired(g) if now_ns < valid_until_ns(g)

# The checks written out in one body (a function call is dear on regopy); why_not below
# names the ones that fail.
covers(g) if {
	g.purpose_set[purpose]
	every c in explicit_columns {
		g.column_set[c]
	}
	valid_from_ns(g) <= now_ns
	now_ns < valid_until_ns(g)
}

# The covering grant used: the first, i.e. the lowest id, so decisions are deterministic.
# Undefined when no grant covers the request.
chosen := covering[0]

covering := [g | some g in my_grants; covers(g)]

officer_key(o) := trim_prefix(o, "officer:")

# Which provider an approving owner officer speaks for: as recorded on the approval,
# else from the officer's registered record.
approval_owner_of(a) := owner if {
	owner := a.owner_of
} else := object.get(object.get(registered_officers, officer_key(a.officer), {}), "owner_of", null)

default registered_officers := {}

registered_officers := data.hub.officers

# The two-person rule (双人审批): an owner officer of the dataset's provider and a
# security officer approved the chosen grant, two different people with two different
# keys, neither of them the one who requested it.  Only then may its clear columns go
# out clear.  (Approvals recorded before officers signed carry no `kid`.)
chosen_two_person if {
	g := chosen.grant
	requester := officer_key(object.get(g, "requested_by", ""))
	some a in g.approvals
	a.role == "owner"
	owner := officer_key(a.officer)
	owner != requester
	approval_owner_of(a) == resource.owner
	some b in g.approvals
	b.role == "security"
	security := officer_key(b.officer)
	security != requester
	owner != security
	not object.get(a, "kid", null) == object.get(b, "kid", "")
}

# The columns the grant may let go out clear: listed and two-person approved.
clearable := chosen.clear_set if chosen_two_person else := {}

why_not contains sprintf("rule grant: grant `%v` does not cover purpose `%v`", [g.id, purpose]) if {
	some g in my_grants
	not g.purpose_set[purpose]
}

why_not contains sprintf("rule grant: grant `%v` does not cover columns %v", [g.id, missing]) if {
	some g in my_grants
	missing := sort([c | some c in explicit_columns; not g.column_set[c]])
	count(missing) > 0
}

why_not contains sprintf("rule grant: grant `%v` is not valid before %v", [g.id, g.grant.valid_from]) if {
	some g in my_grants
	not started(g)
}

why_not contains sprintf("rule grant: grant `%v` expired at %v", [g.id, g.grant.valid_until]) if {
	some g in my_grants
	not not_expired(g)
}

why_not contains "rule time: context.time is missing or not RFC 3339; grants cannot be checked" if {
	not my_grants == []
	not now_ns
}
