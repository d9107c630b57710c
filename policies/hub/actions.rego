# The non-data actions: describe (catalog metadata), apply (for a grant), approve
# (decide an application) and audit (read the audit log).
package hub

# --- describe --------------------------------------------------------------------------

permit := plain_allow(sprintf("rule describe: %v `%v` may read the catalog entry of `%v`", [subject_kind, subject_id, dataset])) if {
	action == "describe"
	staff_kinds[subject_kind]
}

permit := plain_allow(sprintf("rule describe: partner `%v` may read the catalog entry of `%v`", [subject_id, dataset])) if {
	action == "describe"
	subject_kind == "partner"
}

deny contains sprintf("rule never-exchanged: dataset `%v` is not listed for partners: %v", [dataset, why]) if {
	action == "describe"
	subject_kind == "partner"
	some why in never_exchanged
}

# --- apply -------------------------------------------------------------------------------

permit := plain_allow(sprintf("rule apply: partner `%v` may apply for `%v` for registered purpose `%v`", [subject_id, dataset, purpose])) if {
	action == "apply"
	subject_kind == "partner"
	partner.purpose_set[purpose]
}

why_not contains sprintf("rule apply: purpose `%v` is not registered for `%v`", [purpose, subject_id]) if {
	action == "apply"
	subject_kind == "partner"
	not partner.purpose_set[purpose]
}

why_not contains "rule apply: only partners apply for grants" if {
	action == "apply"
	not subject_kind == "partner"
}

# --- approve ----------------------------------------------------------------------------

permit := plain_allow(sprintf("rule approve: security officer `%v` may decide applications", [subject_id])) if {
	action == "approve"
	subject_kind == "officer"
	officer.role == "security"
}

permit := plain_allow(sprintf("rule approve: owner officer `%v` speaks for provider `%v`", [subject_id, resource.owner])) if {
	action == "approve"
	subject_kind == "officer"
	officer.role == "owner"
	officer.owner_of == resource.owner
}

why_not contains sprintf("rule approve: owner officer `%v` speaks for `%v`, not for `%v`", [subject_id, object.get(officer, "owner_of", null), object.get(resource, "owner", null)]) if {
	action == "approve"
	subject_kind == "officer"
	officer.role == "owner"
	not officer.owner_of == resource.owner
}

why_not contains "rule approve: only officers decide applications" if {
	action == "approve"
	not subject_kind == "officer"
}

# --- audit ------------------------------------------------------------------------------

permit := plain_allow(sprintf("rule audit: %v `%v` may read the whole audit log", [subject_kind, subject_id])) if {
	action == "audit"
	staff_kinds[subject_kind]
}

permit := {
	"allow": true,
	"reasons": [sprintf("rule audit: partner `%v` reads only its own audit records", [subject_id])],
	"grant": null,
	"columns": {},
	"row_filter": {"column": "subject", "equals": subject_id},
	"max_rows": null,
	"quota": null,
} if {
	action == "audit"
	subject_kind == "partner"
}
