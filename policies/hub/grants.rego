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

my_grants contains id if {
	some id, g in grants_data
	holder(g) == subject_id
	g.dataset == dataset
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
	rows_used(g) < g.max_rows_per_day
	rows_used(g) + rows_requested <= g.max_rows_per_day
}

covers(g) if {
	purpose_ok(g)
	columns_ok(g)
	started(g)
	not_expired(g)
	quota_ok(g)
}

covering_grants := {id | some id in my_grants; covers(grants_data[id])}

# The covering grant used: the first by id, so decisions are deterministic.
chosen_id := id if {
	some id in covering_grants
	every other in covering_grants {
		id <= other
	}
}

chosen := grants_data[chosen_id]

officer_key(o) := trim_prefix(o, "officer:")

approval_owner_of(a) := object.get(a, "owner_of", object.get(object.get(officers_data, officer_key(a.officer), {}), "owner_of", null))

is_requester(g, o) if officer_key(object.get(g, "requested_by", "")) == officer_key(o)

# Owner officer of the dataset's provider plus a security officer, two different
# people, neither of them the one who requested the grant.
two_person_ok(g) if {
	some a in g.approvals
	some b in g.approvals
	a.role == "owner"
	approval_owner_of(a) == resource.owner
	b.role == "security"
	officer_key(a.officer) != officer_key(b.officer)
	not is_requester(g, a.officer)
	not is_requester(g, b.officer)
}

why_not contains sprintf("rule grant: grant `%v` does not cover purpose `%v`", [id, purpose]) if {
	some id in my_grants
	not purpose_ok(grants_data[id])
}

why_not contains sprintf("rule grant: grant `%v` does not cover columns %v", [id, missing]) if {
	some id in my_grants
	missing := sorted([c | some c in explicit_columns; not c in grants_data[id].columns])
	count(missing) > 0
}

why_not contains sprintf("rule grant: grant `%v` is not valid before %v", [id, g.valid_from]) if {
	some id in my_grants
	g := grants_data[id]
	not started(g)
}

why_not contains sprintf("rule grant: grant `%v` expired at %v", [id, g.valid_until]) if {
	some id in my_grants
	g := grants_data[id]
	not not_expired(g)
}

why_not contains sprintf("rule quota: grant `%v` daily quota exceeded (%v used + %v requested > %v)", [id, rows_used(g), rows_requested, g.max_rows_per_day]) if {
	some id in my_grants
	g := grants_data[id]
	not quota_ok(g)
}

why_not contains "rule time: context.time is missing or not RFC 3339; grants cannot be checked" if {
	count(my_grants) > 0
	not now_ns
}
