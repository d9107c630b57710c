# Circuit breakers (一键熔断): while data.hub.dataset_suspensions names a dataset, nobody
# reads it (every partner and officer at once, whatever grant they hold).  A security
# officer or a containment playbook suspends it (hub/circuit.py); two officers resume it.
package hub

deny contains sprintf("rule circuit-breaker: exchange of dataset `%v` is suspended (%v)", [dataset, reason]) if {
	read_actions[action]
	name := dataset
	suspension := data.hub.dataset_suspensions[name]
	reason := object.get(suspension, "reason", "suspended")
}
