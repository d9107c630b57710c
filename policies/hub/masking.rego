# Masking obligations: which strategy (DESIGN.md §4) serves a column that must not go
# out in clear.  Personal information (个人信息) is masked unless a two-person-approved
# grant clears it; any column above the subject's clearance is masked by its kind.
package hub

# PII classes that identify a natural person.
personal_classes := {"PERSON", "CN_RESIDENT_ID", "CN_MOBILE", "CN_BANK_CARD", "EMAIL", "CN_PASSPORT", "CN_LICENSE_PLATE"}

# Resident ID and e-mail are pseudonymised (per-partner HMAC) so that a partner can
# still join its own extracts; names keep the surname; phone and card numbers keep
# their ends; organisation codes are pseudonymised only when above clearance.
pii_masks := {
	"CN_RESIDENT_ID": "pseudonym",
	"PERSON": "mask_name",
	"CN_MOBILE": "mask_middle",
	"CN_BANK_CARD": "mask_middle",
	"CN_PASSPORT": "mask_middle",
	"CN_LICENSE_PLATE": "mask_middle",
	"EMAIL": "pseudonym",
	"CN_USCC": "pseudonym",
}

# Non-personal columns above clearance are coarsened by their kind.
type_masks := {
	"date": "year_month",
	"timestamp": "year_month",
	"amount": "round:-3",
	"admin_code": "region_prefix:4",
}

personal(col) if col.pii in personal_classes

personal(col) if col.free_text == true

column_level(col) := object.get(col, "level", object.get(resource, "level", 5))

above_clearance(col) if column_level(col) > clearance

needs_mask(col) if personal(col)

needs_mask(col) if above_clearance(col)

mask_for(col) := "redacted_text" if {
	col.free_text == true
} else := strategy if {
	strategy := pii_masks[col.pii]
} else := strategy if {
	strategy := type_masks[col.type]
} else := "null"

resource_columns := object.get(resource, "columns", {})

column_names := object.keys(resource_columns)

explicit_columns := {c | some c in object.get(request, "columns", [])}

deny contains sprintf("rule columns: dataset `%v` has no column `%v`", [dataset, c]) if {
	action in read_actions
	some c in explicit_columns
	not c in column_names
}

# Columns above the subject's clearance, and columns that must be masked (computed once).
above_columns := {c | some c in column_names; above_clearance(resource_columns[c])}

masked_columns := {c | some c in column_names; needs_mask(resource_columns[c])}

# Reasons naming the columns masked for clearance, for the decision's explanation.
clearance_reasons(requested) := [msg |
	masked := sorted({c | some c in requested; c in above_columns})
	count(masked) > 0
	msg := sprintf("rule clearance: columns %v are above clearance %v and masked", [masked, clearance])
]
