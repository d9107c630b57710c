# Jurisdiction row filter (属地): a partner sees the rows of its own administrative
# area.  A county code (330106) keeps its 6 digits, a city code (330100) its first 4,
# a province code (330000) its first 2; the prefix is applied to resource.region_column.
package hub

region_prefix(code) := substring(code, 0, 2) if {
	endswith(code, "0000")
} else := substring(code, 0, 4) if {
	endswith(code, "00")
} else := code

has_region_column if {
	is_string(resource.region_column)
	resource.region_column != ""
}

default row_filter := null

row_filter := {"column": resource.region_column, "prefix": region_prefix(jurisdiction)} if {
	has_region_column
	valid_jurisdiction
}

deny contains sprintf("rule jurisdiction: `%v` has no valid 6-digit administrative code for region column `%v`", [subject_id, resource.region_column]) if {
	action in read_actions
	subject_kind != "operator"
	has_region_column
	not valid_jurisdiction
}
