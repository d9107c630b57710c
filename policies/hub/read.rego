# Reading data (read, changes).  Never-exchanged datasets (不予共享, level 5, or not a
# published layer) are denied to everyone.  Partners read 无条件共享 datasets for one of
# their registered purposes; 有条件共享 datasets, and everything an officer reads, need a
# covering grant.  Operators (hub console, audited) read with personal data masked.
package hub

never_exchanged contains "its sharing type is `none` (不予共享)" if sharing_type == "none"

never_exchanged contains sprintf("it is level %v (核心 core data)", [resource_level]) if resource_level >= 5

never_exchanged contains "it is not a published layer" if resource.exchangeable == false

deny contains sprintf("rule never-exchanged: dataset `%v` is never exchanged: %v", [dataset, why]) if {
	row_actions[action]
	some why in never_exchanged
}

deny contains sprintf("rule sharing-type: dataset `%v` has no valid sharing type and level", [dataset]) if {
	cataloged_actions[action]
	not valid_resource
}

valid_resource if {
	sharing_types[sharing_type]
	is_number(resource_level)
}

deny contains "rule purpose: a purpose is required" if {
	row_actions[action]
	purpose == ""
	not subject_kind == "operator"
}

default unconditional_max_rows := 10000

unconditional_max_rows := data.hub.limits.unconditional_max_rows

# --- unconditional (无条件共享) ---------------------------------------------------------

# Columns asked for, looked up by name: the explicit list, else every column.
unconditional_requested := explicit_columns if {
	not explicit_columns == set()
} else := resource_columns

unconditional_above := {c: true |
	some c, col in resource_columns
	unconditional_requested[c]
	above_clearance(col)
}

# The strategy of a column: dropped unless requested; above clearance masked by kind;
# otherwise personal data masked and the rest clear.  (`name := c` first, here and
# below: regopy compiles a lookup keyed by a bare function argument into a scan of the
# whole collection.)
unconditional_strategy(c, col) := "drop" if {
	name := c
	not unconditional_requested[name]
} else := mask_for(col) if {
	name := c
	unconditional_above[name]
} else := mask if {
	mask := personal_mask(col)
} else := "clear"

permit := {
	"allow": true,
	"reasons": array.concat(
		[sprintf("rule unconditional: dataset `%v` is 无条件共享 and purpose `%v` is registered for `%v`", [dataset, purpose, subject_id])],
		clearance_reasons(unconditional_above),
	),
	"grant": null,
	"columns": {c: unconditional_strategy(c, col) | some c, col in resource_columns},
	"row_filter": row_filter,
	"max_rows": unconditional_max_rows,
	"quota": null,
} if {
	read_actions[action]
	subject_kind == "partner"
	sharing_type == "unconditional"
	not chosen
	partner.purpose_set[purpose]
}

why_not contains sprintf("rule purpose: purpose `%v` is not registered for `%v`", [purpose, subject_id]) if {
	read_actions[action]
	subject_kind == "partner"
	sharing_type == "unconditional"
	not partner.purpose_set[purpose]
}

# --- under a grant ----------------------------------------------------------------------

grant_holder_kinds := {"partner", "officer"}

# Columns asked for under a grant, looked up by name: the explicit list, else the grant's.
granted_requested := explicit_columns if {
	not explicit_columns == set()
} else := chosen.column_set

granted_above := {c: true |
	some c, col in resource_columns
	granted_requested[c]
	above_clearance(col)
}

# As unconditional_strategy, except that a column the grant clears goes out clear when
# it is within clearance.
granted_strategy(c, col) := "drop" if {
	name := c
	not granted_requested[name]
} else := mask_for(col) if {
	name := c
	granted_above[name]
} else := "clear" if {
	name := c
	clearable[name]
} else := mask if {
	mask := personal_mask(col)
} else := "clear"

two_person_reasons := [msg |
	not chosen_two_person
	listed := sorted({c | some c in chosen.grant.clear_columns; granted_requested[c]; resource_columns[c]})
	listed[0] # not empty
	msg := sprintf("rule two-person: grant `%v` lists clear columns %v but lacks approval by an owner officer of `%v` and a security officer, neither the requester; masked", [chosen.id, listed, resource.owner])
]

cleared_reasons := [msg |
	chosen_two_person
	cleared_masked := sorted({c |
		some c in chosen.grant.clear_columns
		granted_requested[c]
		col := resource_columns[c]
		not granted_above[c]
		personal_mask(col)
	})
	cleared_masked[0] # not empty
	msg := sprintf("rule two-person: grant `%v` clears columns %v (approved by owner and security officers)", [chosen.id, cleared_masked])
]

# The reasons in order: the grant, the columns it clears or cannot clear, all regions,
# clearance.
granted_reasons := [reason |
	some reasons in [
		[sprintf("rule grant: grant `%v` covers purpose `%v` on `%v` until %v", [chosen.id, purpose, dataset, chosen.grant.valid_until])],
		cleared_reasons,
		two_person_reasons,
		all_regions_reasons,
		clearance_reasons(granted_above),
	]
	some reason in reasons
]

permit := {
	"allow": true,
	"reasons": granted_reasons,
	"grant": chosen.id,
	"columns": {c: granted_strategy(c, col) | some c, col in resource_columns},
	"row_filter": row_filter,
	"max_rows": chosen.max_rows,
	"quota": {"grant": chosen.id, "max_rows_per_day": chosen.max_rows},
} if {
	read_actions[action]
	grant_holder_kinds[subject_kind]
	chosen
}

why_not contains sprintf("rule grant: dataset `%v` is 有条件共享 and `%v` holds no grant on it", [dataset, subject_id]) if {
	read_actions[action]
	sharing_type == "conditional"
	my_grants == []
}

why_not contains sprintf("rule officer-read: officers read data only under a grant; `%v` holds none covering `%v`", [subject_id, dataset]) if {
	read_actions[action]
	subject_kind == "officer"
	not chosen
}

# --- operator console ----------------------------------------------------------------------

operator_strategy(c, col) := "drop" if {
	name := c
	not unconditional_requested[name]
} else := mask_for(col) if {
	personal_mask(col)
} else := "clear"

permit := {
	"allow": true,
	"reasons": [sprintf("rule operator-read: operator console read of `%v`, personal data masked", [dataset])],
	"grant": null,
	"columns": {c: operator_strategy(c, col) | some c, col in resource_columns},
	"row_filter": null,
	"max_rows": null,
	"quota": null,
} if {
	read_actions[action]
	subject_kind == "operator"
}
