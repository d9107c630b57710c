MODEL (
  name clues.below_value_disposal,
  kind FULL,
  grain disposal_id,
  description '低价处置国有资产: transaction_price strictly below below_value_ratio × appraised_value; region_code is the county of the disposing enterprise (属地, via staging.org_region)',
  audits (not_null(columns := (disposal_id)), unique_values(columns := (disposal_id)))
);

SELECT
  d.disposal_id::BIGINT AS disposal_id,
  d.uscc::VARCHAR AS uscc,
  d.asset_desc::VARCHAR AS asset_desc,
  d.appraised_value::DECIMAL(18, 2) AS appraised_value,
  d.transaction_price::DECIMAL(18, 2) AS transaction_price,
  (d.transaction_price / NULLIF(d.appraised_value, 0))::DECIMAL(20, 10) AS price_ratio,
  @VAR('below_value_ratio')::DECIMAL(10, 6) AS ratio_threshold,
  d.buyer_uscc::VARCHAR AS buyer_uscc,
  d.buyer_name::VARCHAR AS buyer_name,
  d.decided_at::DATE AS decided_at,
  r.region_code::VARCHAR AS region_code,
  'below_value_disposal/v1'::VARCHAR AS model_version
FROM staging.asset_disposal AS d
LEFT JOIN staging.org_region AS r ON r.org_code = d.uscc
WHERE d.transaction_price < @VAR('below_value_ratio') * d.appraised_value
