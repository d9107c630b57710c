# Jurisdiction row filter (属地): a partner sees the rows of its own administrative
# area.  A county code (330106) keeps its 6 digits, a city code (330100) its first 4,
# a province code (330000) its first 2; the prefix is applied to region_column.
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

default row_filter := null

row_filter := {"column": region_column, "prefix": prefix} if {
	has_region_column
	prefix := jurisdiction_prefix
}

deny contains sprintf("rule jurisdiction: `%v` has no valid 6-digit administrative code for region column `%v`", [subject_id, region_column]) if {
	read_actions[action]
	not subject_kind == "operator"
	has_region_column
	not jurisdiction_prefix
}
