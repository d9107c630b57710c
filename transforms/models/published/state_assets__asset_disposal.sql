MODEL (
  name state_assets.asset_disposal,
  kind VIEW,
  grain disposal_id,
  description 'Published layer of state_assets.asset_disposal: the source columns, typed and cleaned (from staging.asset_disposal)',
  audits (not_null(columns := (disposal_id)), unique_values(columns := (disposal_id)))
);

SELECT
  disposal_id,
  uscc,
  asset_desc,
  appraised_value,
  transaction_price,
  buyer_uscc,
  buyer_name,
  decided_at
FROM staging.asset_disposal
