# Who is asking: the registered partner or officer record behind input.subject, its
# clearance (授权等级), jurisdiction and lockdown (暂停) state.  The registered record in
# data.hub is authoritative; input.subject only names the subject (and may add
# `suspended: true`, which denies as well).
package hub

default partners_data := {}

partners_data := data.hub.partners

default officers_data := {}

officers_data := data.hub.officers

default suspensions_data := {}

suspensions_data := data.hub.suspensions

subject_kind := object.get(subject, "kind", "")

bare_id := trim_prefix(object.get(subject, "id", ""), sprintf("%s:", [subject_kind]))

# The canonical subject id: "partner:hz-xihu-jw", "officer:sec-1".
subject_id := sprintf("%s:%s", [subject_kind, bare_id])

partner := partners_data[bare_id] if subject_kind == "partner"

officer := officers_data[bare_id] if subject_kind == "officer"

active_officer if object.get(officer, "active", true) == true

default clearance := 0

clearance := partner.clearance if subject_kind == "partner"

clearance := object.get(subject, "clearance", 0) if subject_kind == "officer"

jurisdiction := partner.jurisdiction if subject_kind == "partner"

jurisdiction := subject.jurisdiction if subject_kind == "officer"

valid_jurisdiction if regex.match(`^[0-9]{6}$`, jurisdiction)

deny contains sprintf("rule registered: partner `%v` is not registered", [bare_id]) if {
	subject_kind == "partner"
	not partners_data[bare_id]
}

deny contains sprintf("rule registered: officer `%v` is not registered or not active", [bare_id]) if {
	subject_kind == "officer"
	not active_officer
}

deny contains sprintf("rule lockdown: partner `%v` is suspended (%v)", [bare_id, reason]) if {
	subject_kind == "partner"
	suspension := suspensions_data[bare_id]
	reason := object.get(suspension, "reason", "lockdown")
}

deny contains sprintf("rule lockdown: partner `%v` is suspended", [bare_id]) if {
	subject_kind == "partner"
	partner.suspended == true
}

deny contains sprintf("rule lockdown: subject `%v` is suspended", [subject_id]) if {
	subject.suspended == true
}
