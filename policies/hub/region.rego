# Jurisdiction row filter (属地): a partner sees the rows of its own administrative
# area.  A county code (330106) keeps its 6 digits, a city code (330100) its first 4,
# a province code (330000) its first 2; the prefix is applied to region_column.
#
# Every published dataset names its jurisdiction column (catalog region_column).  One
# without is refused to every jurisdiction-scoped subject (partners, officers) unless
# the chosen grant says all regions (`all_regions: true`) and was approved under the
# two-person rule; such a grant also lifts the row filter.  Column masks still apply.
package hub

region_prefix(code) := substring(code, 0, 2) if {
	endswith(code, "0000")
} else := substring(code, 0, 4) if {
	endswith(code, "00")
} else := code

# The subject's jurisdiction: a partner's registered one, an officer's from the input.
jurisdiction := partner.jurisdiction if subject_kind == "partner"

jurisdiction := subject.jurisdiction if subject_kind == "officer"

# The row prefix of the subject's jurisdiction; undefined unless that is a 6-digit code.
jurisdiction_prefix := region_prefix(code) if {
	code := jurisdiction
	regex.match(`^[0-9]{6}$`, code)
}

has_region_column if {
	is_string(region_column)
	not region_column == ""
}

# The chosen grant is for all regions, approved as such: an owner officer of the
# dataset's provider and a security officer, neither the requester (grants.rego).
all_regions_grant if {
	chosen.grant.all_regions == true
	chosen_two_person
}

default row_filter := null

row_filter := {"column": region_column, "prefix": prefix} if {
	has_region_column
	not all_regions_grant
	prefix := jurisdiction_prefix
}

all_regions_reasons := [msg |
	all_regions_grant
	msg := sprintf("rule jurisdiction: grant `%v` is approved for all regions: no row filter", [chosen.id])
]

deny contains sprintf("rule jurisdiction: `%v` has no valid 6-digit administrative code for region column `%v`", [subject_id, region_column]) if {
	read_actions[action]
	not subject_kind == "operator"
	has_region_column
	not jurisdiction_prefix
	not all_regions_grant
}

deny contains sprintf("rule jurisdiction: dataset `%v` has no jurisdiction (region) column; `%v` reads it only under a grant for all regions (all_regions) approved by an owner and a security officer", [dataset, subject_id]) if {
	read_actions[action]
	not subject_kind == "operator"
	not has_region_column
	not all_regions_grant
}
