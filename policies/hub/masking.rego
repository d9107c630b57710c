# Masking obligations: which strategy (DESIGN.md §4) serves a column that must not go
# out in clear.  Personal information (个人信息) is masked unless a two-person-approved
# grant clears it; any column above the subject's clearance is masked by its kind.
package hub

# Masks by PII class.  Written out as literal objects (not derived with a comprehension)
# because every decision consults them and literals are the cheapest thing to evaluate.
#
# Personal classes identify a natural person and are always masked.  Resident ID and
# e-mail are pseudonymised (per-partner HMAC) so that a partner can still join its own
# extracts; names keep the surname; phone, card, passport and plate numbers keep their
# ends.
personal_masks := {
	"CN_RESIDENT_ID": "pseudonym",
	"PERSON": "mask_name",
	"CN_MOBILE": "mask_middle",
	"CN_BANK_CARD": "mask_middle",
	"CN_PASSPORT": "mask_middle",
	"CN_LICENSE_PLATE": "mask_middle",
	"EMAIL": "pseudonym",
}

# Other classes, masked only above clearance: organisation codes are pseudonymised.
class_masks := {"CN_USCC": "pseudonym"}

# Non-personal columns above clearance are coarsened by their kind.
type_masks := {
	"date": "year_month",
	"timestamp": "year_month",
	"amount": "round:-3",
	"admin_code": "region_prefix:4",
}

personal(col) if personal_masks[col.pii]

personal(col) if col.free_text == true

# A column's level defaults to the dataset's (looked up once, not per column).
dataset_level := object.get(resource, "level", 5)

above_clearance(col) if object.get(col, "level", dataset_level) > clearance

mask_for(col) := "redacted_text" if {
	col.free_text == true
} else := strategy if {
	strategy := personal_masks[col.pii]
} else := strategy if {
	strategy := class_masks[col.pii]
} else := strategy if {
	strategy := type_masks[col.type]
} else := "null"

# The mask a column needs, undefined when it may go out clear: free text and personal
# data always, anything else only above clearance.  Same outcome as
# `mask_for(col) if needs_mask(col)`, with lookups instead of function calls: it runs
# once per column of every decision, so it is the hottest code here.
needed_mask(col) := "redacted_text" if {
	col.free_text == true
} else := mask if {
	mask := personal_masks[col.pii]
} else := mask_for(col) if {
	above_clearance(col)
}

# The resource's columns by name.  Only an object counts: the `columns` comprehensions
# iterate `some c, col in resource_columns`, which over an array would yield indexes.
resource_columns := columns if {
	columns := object.get(resource, "columns", {})
	is_object(columns)
} else := {}

column_names := object.keys(resource_columns)

explicit_columns := {c | some c in object.get(request, "columns", [])}

deny contains sprintf("rule columns: dataset `%v` has no column `%v`", [dataset, c]) if {
	action in read_actions
	some c in explicit_columns
	not c in column_names
}

# Reasons naming the columns masked for clearance, for the decision's explanation.
clearance_reasons(requested) := [msg |
	masked := sorted({c | some c in requested; above_clearance(resource_columns[c])})
	count(masked) > 0
	msg := sprintf("rule clearance: columns %v are above clearance %v and masked", [masked, clearance])
]
