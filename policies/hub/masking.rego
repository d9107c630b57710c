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
# ends; a home address keeps its first six characters (province and city) only.
personal_masks := {
	"CN_RESIDENT_ID": "pseudonym",
	"PERSON": "mask_name",
	"CN_MOBILE": "mask_middle",
	"CN_BANK_CARD": "mask_middle",
	"CN_PASSPORT": "mask_middle",
	"CN_LICENSE_PLATE": "mask_middle",
	"EMAIL": "pseudonym",
	"CN_LANDLINE": "mask_middle",
	"ADDRESS": "mask_middle",
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

# The mask personal data takes: free text and personal PII classes; undefined otherwise.
# A PII class these tables do not know (a recogniser added after this policy) is withheld
# (`null`), never served clear: the policy fails closed on what it has not been told about.
personal_mask(col) := "redacted_text" if {
	col.free_text == true
} else := mask if {
	mask := personal_masks[col.pii]
} else := "null" if {
	is_string(col.pii)
	not class_masks[col.pii]
}

# A column's level defaults to the dataset's.
default dataset_level := 5

dataset_level := resource_level

# Whether a column (its level defaulting to the dataset's) is above the subject's
# clearance, true or false.  The prepared table data.hub.index.level_above[clearance][level]
# (hub/policy/index.py) answers the usual integer pairs with an array lookup, cheaper on
# regopy than a comparison, which settles any other pair.  (The level is bound to a
# variable first: regopy compiles a lookup keyed by a call or by a bare function argument
# into a scan of the whole collection.)
clearance_row := data.hub.index.level_above[clearance]

above_clearance(col) := above if {
	level := col.level
	above := clearance_row[level]
} else := object.get(col, "level", dataset_level) > clearance

# How a column that must not go out in clear is masked.
mask_for(col) := "redacted_text" if {
	col.free_text == true
} else := strategy if {
	strategy := personal_masks[col.pii]
} else := strategy if {
	strategy := class_masks[col.pii]
} else := strategy if {
	strategy := type_masks[col.type]
} else := "null"

# The resource's columns by name.  Only an object counts: the `columns` comprehensions
# iterate `some c, col in resource_columns`, which over an array would yield indexes.
# (The decision point refuses a column map whose values are not objects.)
resource_columns := columns if {
	columns := resource.columns
	is_object(columns)
} else := {}

explicit_columns := {c | some c in request.columns}

deny contains sprintf("rule columns: dataset `%v` has no column `%v`", [dataset, c]) if {
	read_actions[action]
	some c in explicit_columns
	not c in object.keys(resource_columns)
}

# The reason naming the columns masked for clearance (none when `above`, an object of
# column names, is empty).
clearance_reasons(above) := [msg |
	not above == {}
	msg := sprintf("rule clearance: columns %v are above clearance %v and masked", [sorted(object.keys(above)), clearance])
]
