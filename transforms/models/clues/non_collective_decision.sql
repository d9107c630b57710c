MODEL (
  name clues.non_collective_decision,
  kind FULL,
  grain decision_id,
  description '"三重一大"未集体决策: a major decision with amount at least non_collective_threshold not decided collectively; region_code is the county of the deciding enterprise (属地, via staging.org_region)',
  audits (not_null(columns := (decision_id)), unique_values(columns := (decision_id)))
);

SELECT
  d.decision_id::BIGINT AS decision_id,
  d.uscc::VARCHAR AS uscc,
  d.category::VARCHAR AS category,
  d.amount::DECIMAL(18, 2) AS amount,
  d.meeting_date::DATE AS meeting_date,
  d.collective::INTEGER AS collective,
  @VAR('non_collective_threshold')::DECIMAL(18, 2) AS threshold,
  r.region_code::VARCHAR AS region_code,
  'non_collective_decision/v1'::VARCHAR AS model_version
FROM staging.major_decision AS d
LEFT JOIN staging.org_region AS r ON r.org_code = d.uscc
WHERE d.amount >= @VAR('non_collective_threshold') AND d.collective = 0
