MODEL (
  name state_assets.major_decision,
  kind VIEW,
  grain decision_id,
  description 'Published layer of state_assets.major_decision: the source columns, typed and cleaned (from staging.major_decision)',
  audits (not_null(columns := (decision_id)), unique_values(columns := (decision_id)))
);

SELECT
  decision_id,
  uscc,
  category,
  amount,
  meeting_date,
  collective,
  summary
FROM staging.major_decision
