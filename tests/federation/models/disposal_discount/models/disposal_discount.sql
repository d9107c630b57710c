MODEL (
  name clues.disposal_discount,
  kind FULL,
  grain disposal_id,
  description '国有资产折价处置 (shared model): transaction_price strictly below discount_ratio × appraised_value; region_code is the county of the disposing enterprise',
  audits (not_null(columns := (disposal_id)), unique_values(columns := (disposal_id)))
);

SELECT
  d.disposal_id::BIGINT AS disposal_id,
  d.uscc::VARCHAR AS uscc,
  d.appraised_value::DECIMAL(18, 2) AS appraised_value,
  d.transaction_price::DECIMAL(18, 2) AS transaction_price,
  (d.transaction_price / NULLIF(d.appraised_value, 0))::DECIMAL(20, 10) AS price_ratio,
  @VAR('discount_ratio', 0.9)::DECIMAL(10, 6) AS ratio_threshold,
  d.buyer_uscc::VARCHAR AS buyer_uscc,
  d.decided_at::DATE AS decided_at,
  d.region_code::VARCHAR AS region_code,
  'disposal_discount/1.0.0'::VARCHAR AS model_version
FROM state_assets.asset_disposal AS d
WHERE d.appraised_value > 0 AND d.transaction_price < @VAR('discount_ratio', 0.9) * d.appraised_value
