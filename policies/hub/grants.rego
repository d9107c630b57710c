# Grants (授权): what a subject may read under an approved application, for which
# purposes, columns and time window (valid_from <= now < valid_until), within a daily
# row quota; and the two-person rule (双人审批) that alone lets PII columns go out clear.
package hub

default grants_data := {}

grants_data := data.hub.grants

purpose := object.get(request, "purpose", "")

rows_requested := object.get(request, "rows_requested", 0)

now_ns := time.parse_rfc3339_ns(context.time)

# A grant's holder: "partner:<id>" unless the grant names a kind itself.
holder(g) := g.partner if {
	contains(g.partner, ":")
} else := sprintf("partner:%s", [g.partner])

# This subject's grants on this dataset, by id.  Built once per decision: every other
# grant rule reads this small object instead of scanning all grants again.
my_grants := {id: g |
	some id, g in grants_data
	g.dataset == dataset
	holder(g) == subject_id
}

purpose_ok(g) if purpose in g.purposes

columns_ok(g) if {
	every c in explicit_columns {
		c in g.columns
	}
}

started(g) if time.parse_rfc3339_ns(g.valid_from) <= now_ns

not_expired(g) if now_ns < time.parse_rfc3339_ns(g.valid_until)

rows_used(g) := object.get(g, "rows_used_today", 0)

quota_ok(g) if {
	used := rows_used(g)
	used < g.max_rows_per_day
	used + rows_requested <= g.max_rows_per_day
}

# Cheapest checks first: a failing check stops the (per-decision, hot) evaluation early.
covers(g) if {
	purpose_ok(g)
	quota_ok(g)
	columns_ok(g)
	started(g)
	not_expired(g)
}

# The covering grant used: the first by id, so decisions are deterministic.  Undefined
# when no grant covers the request.  (regopy does not enumerate `gid` when
# the reference only appears as a function argument, hence `g :=`.)
chosen_id := id if {
	ids := sort([gid | some gid; g := my_grants[gid]; covers(g)])
	id := ids[0]
}

chosen := my_grants[chosen_id]

officer_key(o) := trim_prefix(o, "officer:")

# Which provider an approving owner officer speaks for: as recorded on the approval,
# else from the officer's registered record.  (An else, not a nested object.get
# default, so the registry is only consulted when the approval lacks it.)
approval_owner_of(a) := owner if {
	owner := a.owner_of
} else := object.get(object.get(officers_data, officer_key(a.officer), {}), "owner_of", null)

# Owner officer of the dataset's provider plus a security officer, two different
# people, neither of them the one who requested the grant.
two_person_ok(g) if {
	requester := officer_key(object.get(g, "requested_by", ""))

	# The owner approval first, then the security one: filtering each before the next
	# loop keeps the pairs examined few.
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
}

why_not contains sprintf("rule grant: grant `%v` does not cover purpose `%v`", [id, purpose]) if {
	some id, g in my_grants
	not purpose_ok(g)
}

why_not contains sprintf("rule grant: grant `%v` does not cover columns %v", [id, missing]) if {
	some id, g in my_grants
	missing := sorted([c | some c in explicit_columns; not c in g.columns])
	count(missing) > 0
}

why_not contains sprintf("rule grant: grant `%v` is not valid before %v", [id, g.valid_from]) if {
	some id, g in my_grants
	not started(g)
}

why_not contains sprintf("rule grant: grant `%v` expired at %v", [id, g.valid_until]) if {
	some id, g in my_grants
	not not_expired(g)
}

why_not contains sprintf("rule quota: grant `%v` daily quota exceeded (%v used + %v requested > %v)", [id, rows_used(g), rows_requested, g.max_rows_per_day]) if {
	some id, g in my_grants
	not quota_ok(g)
}

why_not contains "rule time: context.time is missing or not RFC 3339; grants cannot be checked" if {
	count(my_grants) > 0
	not now_ns
}
