MODEL (
  name staging.major_decision,
  kind FULL,
  grain decision_id,
  description '三重一大 major decisions; collective = 1 when decided by the collective meeting',
  audits (
    not_null(columns := (decision_id)),
    unique_values(columns := (decision_id)),
    accepted_range(column := amount, min_v := 0, blocking := false)
  )
);

SELECT
  decision_id::BIGINT AS decision_id,
  @normalize_id(uscc)::VARCHAR AS uscc,
  @normalize_text(category)::VARCHAR AS category,
  amount::DECIMAL(18, 2) AS amount,
  meeting_date::DATE AS meeting_date,
  collective::INTEGER AS collective,
  summary::VARCHAR AS summary
FROM raw_state_assets.major_decision
