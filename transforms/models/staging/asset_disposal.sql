MODEL (
  name staging.asset_disposal,
  kind FULL,
  grain disposal_id,
  description '资产处置 asset disposals with appraised value and transaction price',
  audits (
    not_null(columns := (disposal_id)),
    unique_values(columns := (disposal_id)),
    accepted_range(column := appraised_value, min_v := 0, blocking := false),
    accepted_range(column := transaction_price, min_v := 0, blocking := false)
  )
);

SELECT
  disposal_id::BIGINT AS disposal_id,
  @normalize_id(uscc)::VARCHAR AS uscc,
  asset_desc::VARCHAR AS asset_desc,
  appraised_value::DECIMAL(18, 2) AS appraised_value,
  transaction_price::DECIMAL(18, 2) AS transaction_price,
  @normalize_id(buyer_uscc)::VARCHAR AS buyer_uscc,
  @normalize_text(buyer_name)::VARCHAR AS buyer_name,
  decided_at::DATE AS decided_at
FROM raw_state_assets.asset_disposal
