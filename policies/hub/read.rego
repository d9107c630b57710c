# Reading data (read, changes).  Never-exchanged datasets (不予共享, level 5, or not a
# published layer) are denied to everyone.  Partners read 无条件共享 datasets for one of
# their registered purposes; 有条件共享 datasets, and everything an officer reads, need a
# covering grant.  Operators (hub console, audited) read with personal data masked.
package hub

never_exchanged contains "its sharing type is `none` (不予共享)" if resource.sharing_type == "none"

never_exchanged contains sprintf("it is level %v (核心 core data)", [resource.level]) if resource.level >= 5

never_exchanged contains "it is not a published layer" if resource.exchangeable == false

deny contains sprintf("rule never-exchanged: dataset `%v` is never exchanged: %v", [dataset, why]) if {
	action in {"read", "changes", "apply"}
	some why in never_exchanged
}

deny contains sprintf("rule sharing-type: dataset `%v` has no valid sharing type and level", [dataset]) if {
	action in {"read", "changes", "apply", "describe"}
	not valid_resource
}

valid_resource if {
	resource.sharing_type in {"unconditional", "conditional", "none"}
	is_number(resource.level)
}

deny contains "rule purpose: a purpose is required" if {
	action in {"read", "changes", "apply"}
	purpose == ""
	subject_kind != "operator"
}

default unconditional_max_rows := 10000

unconditional_max_rows := data.hub.limits.unconditional_max_rows

# --- unconditional (无条件共享) ---------------------------------------------------------

unconditional_requested := explicit_columns if {
	count(explicit_columns) > 0
} else := column_names

unconditional_strategy(c, col) := "drop" if {
	not c in unconditional_requested
} else := mask if {
	mask := needed_mask(col)
} else := "clear"

permit := {
	"allow": true,
	"reasons": array.concat(
		[sprintf("rule unconditional: dataset `%v` is 无条件共享 and purpose `%v` is registered for `%v`", [dataset, purpose, subject_id])],
		clearance_reasons(unconditional_requested),
	),
	"grant": null,
	"columns": {c: unconditional_strategy(c, col) | some c, col in resource_columns},
	"row_filter": row_filter,
	"max_rows": unconditional_max_rows,
} if {
	action in read_actions
	subject_kind == "partner"
	resource.sharing_type == "unconditional"
	not chosen_id
	purpose in partner.purposes
}

why_not contains sprintf("rule purpose: purpose `%v` is not registered for `%v`", [purpose, subject_id]) if {
	action in read_actions
	subject_kind == "partner"
	resource.sharing_type == "unconditional"
	not purpose in partner.purposes
}

# --- under a grant ----------------------------------------------------------------------

# Columns asked for under a grant: the explicit list, else the grant's columns that the
# dataset has (object.filter does that intersection in one built-in call instead of a
# comprehension step per column).
granted_requested := explicit_columns if {
	count(explicit_columns) > 0
} else := object.keys(object.filter(resource_columns, object.get(chosen, "columns", [])))

chosen_two_person if two_person_ok(chosen)

# Columns the grant may let go out clear: listed and two-person approved.  Built from
# the grant's (short) clear_columns list rather than from all columns.
clearable := {c | chosen_two_person; some c in chosen.clear_columns}

# A requested column goes out clear under the grant when clearable and within clearance;
# otherwise it is masked if it needs a mask.
granted_strategy(c, col) := "drop" if {
	not c in granted_requested
} else := "clear" if {
	c in clearable
	not above_clearance(col)
} else := mask if {
	mask := needed_mask(col)
} else := "clear"

two_person_reasons := [msg |
	not chosen_two_person
	listed := sorted({c | some c in chosen.clear_columns; c in granted_requested})
	count(listed) > 0
	msg := sprintf("rule two-person: grant `%v` lists clear columns %v but lacks approval by an owner officer of `%v` and a security officer, neither the requester; masked", [chosen_id, listed, resource.owner])
]

cleared_reasons := [msg |
	cleared_masked := sorted({c |
		some c in clearable
		c in granted_requested
		col := resource_columns[c]
		not above_clearance(col)
		needed_mask(col)
	})
	count(cleared_masked) > 0
	msg := sprintf("rule two-person: grant `%v` clears columns %v (approved by owner and security officers)", [chosen_id, cleared_masked])
]

permit := {
	"allow": true,
	"reasons": array.concat(
		array.concat(
			[sprintf("rule grant: grant `%v` covers purpose `%v` on `%v` until %v", [chosen_id, purpose, dataset, chosen.valid_until])],
			array.concat(cleared_reasons, two_person_reasons),
		),
		clearance_reasons(granted_requested),
	),
	"grant": chosen_id,
	"columns": {c: granted_strategy(c, col) | some c, col in resource_columns},
	"row_filter": row_filter,
	"max_rows": chosen.max_rows_per_day - rows_used(chosen),
} if {
	action in read_actions
	subject_kind in {"partner", "officer"}
	chosen_id
}

why_not contains sprintf("rule grant: dataset `%v` is 有条件共享 and `%v` holds no grant on it", [dataset, subject_id]) if {
	action in read_actions
	resource.sharing_type == "conditional"
	count(my_grants) == 0
}

why_not contains sprintf("rule officer-read: officers read data only under a grant; `%v` holds none covering `%v`", [subject_id, dataset]) if {
	action in read_actions
	subject_kind == "officer"
	not chosen_id
}

# --- operator console ----------------------------------------------------------------------

operator_strategy(c, col) := "drop" if {
	not c in unconditional_requested
} else := mask_for(col) if {
	personal(col)
} else := "clear"

permit := {
	"allow": true,
	"reasons": [sprintf("rule operator-read: operator console read of `%v`, personal data masked", [dataset])],
	"grant": null,
	"columns": {c: operator_strategy(c, col) | some c, col in resource_columns},
	"row_filter": null,
	"max_rows": null,
} if {
	action in read_actions
	subject_kind == "operator"
}
