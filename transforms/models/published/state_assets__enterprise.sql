MODEL (
  name state_assets.enterprise,
  kind VIEW,
  grain uscc,
  description 'Published layer of state_assets.enterprise: the source columns, typed and cleaned (from staging.enterprise)',
  audits (not_null(columns := (uscc)), unique_values(columns := (uscc)))
);

SELECT
  uscc,
  name,
  region_code,
  parent_uscc,
  legal_rep_id_number,
  legal_rep_name,
  tier
FROM staging.enterprise
