MODEL (
  name staging.enterprise,
  kind FULL,
  grain uscc,
  description '国有企业 state-owned enterprises, USCC and legal representative ID normalised',
  audits (not_null(columns := (uscc)), unique_values(columns := (uscc)))
);

SELECT
  @normalize_id(uscc)::VARCHAR AS uscc,
  @normalize_text(name)::VARCHAR AS name,
  @normalize_text(region_code)::VARCHAR AS region_code,
  @normalize_id(parent_uscc)::VARCHAR AS parent_uscc,
  @normalize_id(legal_rep_id_number)::VARCHAR AS legal_rep_id_number,
  @normalize_text(legal_rep_name)::VARCHAR AS legal_rep_name,
  tier::INTEGER AS tier
FROM raw_state_assets.enterprise
