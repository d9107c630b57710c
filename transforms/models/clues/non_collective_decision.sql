MODEL (
  name clues.non_collective_decision,
  kind FULL,
  grain decision_id,
  description '"三重一大"未集体决策: a major decision with amount at least non_collective_threshold not decided collectively',
  audits (not_null(columns := (decision_id)), unique_values(columns := (decision_id)))
);

SELECT
  decision_id::BIGINT AS decision_id,
  uscc::VARCHAR AS uscc,
  category::VARCHAR AS category,
  amount::DECIMAL(18, 2) AS amount,
  meeting_date::DATE AS meeting_date,
  collective::INTEGER AS collective,
  @VAR('non_collective_threshold')::DECIMAL(18, 2) AS threshold,
  'non_collective_decision/v1'::VARCHAR AS model_version
FROM staging.major_decision
WHERE amount >= @VAR('non_collective_threshold') AND collective = 0
