# Who is asking: the registered partner or officer record behind input.subject, its
# clearance (授权等级), jurisdiction and lockdown (暂停) state.  The registered record in
# data.hub is authoritative; input.subject only names the subject (and may add
# `suspended: true`, which denies as well).
#
# Records are looked up in data.hub.index (hub/policy/index.py), which files each one
# under every id the input may use for it ("partner:hz-xihu-jw" and "hz-xihu-jw"), so no
# id needs to be rewritten per decision.
package hub

default subject_kind := ""

subject_kind := subject.kind

default subject_key := ""

subject_key := subject.id

# How reasons name the subject: the id without its kind, and the canonical subject id
# ("partner:hz-xihu-jw", "officer:sec-1").
bare_id := trim_prefix(subject_key, sprintf("%s:", [subject_kind]))

subject_id := sprintf("%s:%s", [subject_kind, bare_id])

partner := data.hub.index.partners[subject_key] if subject_kind == "partner"

officer := data.hub.index.officers[subject_key] if subject_kind == "officer"

active_officer if object.get(officer, "active", true) == true

default clearance := 0

clearance := partner.clearance if subject_kind == "partner"

clearance := level if {
	subject_kind == "officer"
	level := object.get(subject, "clearance", 0)
}

deny contains sprintf("rule registered: partner `%v` is not registered", [bare_id]) if {
	subject_kind == "partner"
	not partner
}

deny contains sprintf("rule registered: officer `%v` is not registered or not active", [bare_id]) if {
	subject_kind == "officer"
	not active_officer
}

deny contains sprintf("rule lockdown: partner `%v` is suspended (%v)", [bare_id, reason]) if {
	subject_kind == "partner"
	suspension := data.hub.index.suspensions[subject_key]
	reason := object.get(suspension, "reason", "lockdown")
}

deny contains sprintf("rule lockdown: partner `%v` is suspended", [bare_id]) if {
	subject_kind == "partner"
	partner.suspended == true
}

deny contains sprintf("rule lockdown: subject `%v` is suspended", [subject_id]) if {
	subject.suspended == true
}
