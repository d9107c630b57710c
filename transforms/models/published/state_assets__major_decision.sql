MODEL (
  name state_assets.major_decision,
  kind VIEW,
  grain decision_id,
  description 'Published layer of state_assets.major_decision: the source columns, typed and cleaned (from staging.major_decision); region_code is the county of the deciding enterprise (属地, via staging.org_region)',
  audits (not_null(columns := (decision_id)), unique_values(columns := (decision_id)))
);

SELECT
  d.decision_id,
  d.uscc,
  d.category,
  d.amount,
  d.meeting_date,
  d.collective,
  d.summary,
  r.region_code
FROM staging.major_decision AS d
LEFT JOIN staging.org_region AS r ON r.org_code = d.uscc
