MODEL (
  name state_assets.asset_disposal,
  kind VIEW,
  grain disposal_id,
  description 'Published layer of state_assets.asset_disposal: the source columns, typed and cleaned (from staging.asset_disposal); region_code is the county of the disposing enterprise (属地, via staging.org_region)',
  audits (not_null(columns := (disposal_id)), unique_values(columns := (disposal_id)))
);

SELECT
  d.disposal_id,
  d.uscc,
  d.asset_desc,
  d.appraised_value,
  d.transaction_price,
  d.buyer_uscc,
  d.buyer_name,
  d.decided_at,
  r.region_code
FROM staging.asset_disposal AS d
LEFT JOIN staging.org_region AS r ON r.org_code = d.uscc
