MODEL (
  name clues.below_value_disposal,
  kind FULL,
  grain disposal_id,
  description '低价处置国有资产: transaction_price strictly below below_value_ratio × appraised_value',
  audits (not_null(columns := (disposal_id)), unique_values(columns := (disposal_id)))
);

SELECT
  disposal_id::BIGINT AS disposal_id,
  uscc::VARCHAR AS uscc,
  asset_desc::VARCHAR AS asset_desc,
  appraised_value::DECIMAL(18, 2) AS appraised_value,
  transaction_price::DECIMAL(18, 2) AS transaction_price,
  (transaction_price / NULLIF(appraised_value, 0))::DECIMAL(20, 10) AS price_ratio,
  @VAR('below_value_ratio')::DECIMAL(10, 6) AS ratio_threshold,
  buyer_uscc::VARCHAR AS buyer_uscc,
  buyer_name::VARCHAR AS buyer_name,
  decided_at::DATE AS decided_at,
  'below_value_disposal/v1'::VARCHAR AS model_version
FROM staging.asset_disposal
WHERE transaction_price < @VAR('below_value_ratio') * appraised_value
