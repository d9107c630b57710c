# Officer rules (安全员策略规则): rules security officers define as policy DATA
# (hub/policy/rules/), consulted by the built-in rules at three points only:
#
# - extra hard denials (`deny`): deny rules on subject attributes, access windows, and
#   the purposes registry (a purpose's datasets, providers, levels and grant validity);
# - a tighten-only mask combinator over the permit's columns (`shaped_permit`, which
#   decision.rego returns instead of `permit`): per column, the stricter of the built-in
#   strategy and the officer rules' strategies on the column kind's strictness chain
#   (hub/policy/rules/strictness.py); a rule strategy off the chain becomes `null`;
# - row caps: the permit's `max_rows` lowered, never raised (a purpose's daily rows also
#   lower the daily budget, `quota.max_rows_per_day`).
#
# They apply to data reads (read, changes) of partners and officers; operators' console
# reads keep the built-in rules.  Every reason names the officer rule and the rules
# revision (`rules r3`); `r0` means no officer rules are active.  The rules arrive
# compiled in data.hub.index.officer_rules (hub/policy/rules/compiled.py).
package hub

default orules := {"revision": "r0", "denies": [], "windows": [], "row_caps": [], "masks": [], "purposes": {}}

orules := data.hub.index.officer_rules

orules_revision := orules.revision

# Officer rules shape data reads of partners and officers.
officer_ruled if {
	read_actions[action]
	grant_holder_kinds[subject_kind]
}

# --- selectors (`match`): every given field must hold --------------------------------------

orule_selects(m) if {
	orule_dataset(m)
	orule_provider(m)
	orule_level(m)
	orule_purpose(m)
	orule_subject(m)
	orule_prefix(m)
	orule_clearance(m)
	orule_below(m)
}

orule_dataset(m) if not m.dataset

orule_dataset(m) if m.dataset == dataset

orule_provider(m) if not m.provider

orule_provider(m) if m.provider == resource.owner

orule_level(m) if not m.min_level

orule_level(m) if resource_level >= m.min_level

orule_purpose(m) if not m.purpose

orule_purpose(m) if m.purpose == purpose

orule_subject(m) if not m.subject

orule_subject(m) if m.subject == subject_id

orule_prefix(m) if not m.jurisdiction_prefix

orule_prefix(m) if startswith(jurisdiction, m.jurisdiction_prefix)

orule_clearance(m) if not is_number(m.clearance)

orule_clearance(m) if clearance == m.clearance

orule_below(m) if not m.clearance_below

orule_below(m) if clearance < m.clearance_below

# --- deny rules --------------------------------------------------------------------------

deny contains sprintf("rule officer-deny: officer rule `%v` (rules %v) denies `%v` on `%v`", [r.id, orules_revision, subject_id, dataset]) if {
	officer_ruled
	some r in orules.denies
	orule_selects(r.match)
}

# --- access windows (Asia/Shanghai, UTC+8 all year) ----------------------------------------

local_ns := now_ns + 28800000000000

local_tod := local_ns % 86400000000000

local_day := (local_ns - local_tod) / 86400000000000

# A working day (工作日) by the State Council's calendar where the table has the day;
# otherwise Monday to Friday (1970-01-01 was a Thursday).
working_day := w if {
	i := local_day - orules.calendar.first
	w := orules.calendar.working[i]
} else := true if {
	(local_day + 3) % 7 < 5
} else := false

window_open(w) if {
	not w.working_days
	w.from_ns <= local_tod
	local_tod < w.until_ns
}

window_open(w) if {
	w.working_days
	working_day
	w.from_ns <= local_tod
	local_tod < w.until_ns
}

deny contains sprintf("rule officer-window: officer rule `%v` (rules %v): `%v` is read only on %v Asia/Shanghai", [w.id, orules_revision, dataset, w.label]) if {
	officer_ruled
	some w in orules.windows
	orule_selects(w.match)
	not window_open(w)
}

# --- the purposes registry (用途登记) ------------------------------------------------------

registered_purpose := p if {
	name := purpose
	p := orules.purposes[name]
}

purpose_covers_dataset if registered_purpose.open == true

purpose_covers_dataset if registered_purpose.dataset_set[dataset]

purpose_covers_dataset if {
	owner := resource.owner
	registered_purpose.provider_set[owner]
}

purpose_covers_level if not registered_purpose.max_level

purpose_covers_level if resource_level <= registered_purpose.max_level

deny contains sprintf("rule officer-purpose: purpose `%v` (%v) is registered for other datasets than `%v` (rules %v)", [purpose, registered_purpose.name_zh, dataset, orules_revision]) if {
	officer_ruled
	registered_purpose
	not purpose_covers_dataset
}

deny contains sprintf("rule officer-purpose: purpose `%v` (%v) covers data up to level %v; `%v` is level %v (rules %v)", [purpose, registered_purpose.name_zh, registered_purpose.max_level, dataset, resource_level, orules_revision]) if {
	officer_ruled
	registered_purpose
	not purpose_covers_level
}

deny contains sprintf("rule officer-purpose: grant `%v` runs from %v to %v, longer than purpose `%v` allows (%v days; rules %v)", [chosen.id, chosen.grant.valid_from, chosen.grant.valid_until, purpose, registered_purpose.max_validity_days, orules_revision]) if {
	officer_ruled
	limit := registered_purpose.max_validity_ns
	valid_until_ns(chosen) - valid_from_ns(chosen) > limit
}

# The purpose's daily rows bound the grant's daily budget (the quota obligation the
# enforcement point charges, hub/quota.py) and with it the rows of one request.
purpose_daily_limit := limit if {
	officer_ruled
	limit := registered_purpose.max_rows_per_day
}

# --- row caps ------------------------------------------------------------------------------

officer_caps := [[r.max_rows, r.id] |
	officer_ruled
	some r in orules.row_caps
	orule_selects(r.match)
]

purpose_caps := [[limit, sprintf("purpose:%v", [purpose])] | limit := purpose_daily_limit]

# The lowest cap below the permit's max_rows, and the rule that set it.
officer_cap := sort(array.concat(officer_caps, purpose_caps))[0]

capped if {
	limit := officer_cap[0]
	limit < permit.max_rows
}

cap_reasons := [msg |
	capped
	msg := sprintf("rule officer-cap: officer rule `%v` (rules %v) caps the request at %v rows", [officer_cap[1], orules_revision, officer_cap[0]])
]

# --- tighten-only masks ----------------------------------------------------------------

officer_masks := [r |
	officer_ruled
	some r in orules.masks
	orule_selects(r.match)
]

mask_targets(r, name, col) if r.target_column == name

mask_targets(r, name, col) if {
	pii := col.pii
	r.target_pii == pii
}

mask_targets(r, name, col) if {
	hint := col.type
	r.target_type == hint
}

column_kind(col) := "free_text" if {
	col.free_text == true
} else := kind if {
	pii := col.pii
	kind := orules.pii_kinds[pii]
} else := kind if {
	hint := col.type
	kind := orules.type_kinds[hint]
} else := "other"

# A rule strategy's rank on the column's chain; off the chain it counts as `null`.
mask_rank(ranks, s) := rank if {
	name := s
	rank := ranks[name]
} else := ranks.null

mask_strategy(ranks, s) := s if {
	name := s
	ranks[name]
} else := "null"

# Columns an officer mask rule makes stricter: the strategy, the rule and the built-in one.
officer_column[name] := {"strategy": strategy, "rule": best.id, "base": base} if {
	not officer_masks == []
	some name, base in permit.columns
	not base == "drop"
	col := resource_columns[name]
	hits := [r | some r in officer_masks; mask_targets(r, name, col)]
	not hits == []
	ranks := orules.ranks[column_kind(col)]
	top := max([mask_rank(ranks, r.strategy) | some r in hits])
	best := [r | some r in hits; mask_rank(ranks, r.strategy) == top][0]
	not base_at_least(ranks, base, top)
	strategy := mask_strategy(ranks, best.strategy)
}

# The built-in strategy is already as strict (a built-in strategy off the chain counts
# as weaker than anything but `drop`).
base_at_least(ranks, base, top) if {
	name := base
	ranks[name] >= top
}

mask_reasons := [msg |
	some name
	c := officer_column[name]
	msg := sprintf("rule officer-mask: officer rule `%v` (rules %v) masks `%v` as `%v` (built-in `%v`)", [c.rule, orules_revision, name, c.strategy, c.base])
]

shaped_strategy(name, base) := c.strategy if {
	key := name
	c := officer_column[key]
} else := base

# --- the permit, shaped ----------------------------------------------------------------

officer_shapes if count(officer_column) > 0

officer_shapes if capped

shaped_permit := permit if {
	not officer_shapes
} else := object.union(permit, {
	"reasons": array.concat(permit.reasons, array.concat(mask_reasons, cap_reasons)),
	"columns": {name: shaped_strategy(name, base) | some name, base in permit.columns},
	"max_rows": shaped_max_rows,
	"quota": shaped_quota,
})

shaped_max_rows := officer_cap[0] if capped else := permit.max_rows

# The daily budget, lowered to the purpose's daily rows when those are fewer.
shaped_quota := object.union(permit.quota, {"max_rows_per_day": purpose_daily_limit}) if {
	is_object(permit.quota)
	purpose_daily_limit < permit.quota.max_rows_per_day
} else := permit.quota
