MODEL (
  name resources.organization,
  kind FULL,
  grain org_code,
  description 'Conformed organisations: one row per USCC or budget unit code seen (budget units, enterprises, treasury payees, asset buyers); region_code (属地) is the county the finance or state-assets system gives, else for a USCC the registering authority''s county code (characters 3-8, GB 32100)',
  audits (not_null(columns := (org_code)), unique_values(columns := (org_code)))
);

WITH sightings AS (
  SELECT unit_code AS org_code, unit_name AS name, region_code, unit_type AS kind, 1 AS priority, 1 AS is_budget_unit, 0 AS is_enterprise
  FROM staging.budget_unit
  UNION ALL
  SELECT uscc, name, region_code, '国有企业', 0, 0, 1
  FROM staging.enterprise
  UNION ALL
  SELECT payee_uscc, payee_name, NULL, '收款单位', 2, 0, 0
  FROM staging.treasury_payment
  UNION ALL
  SELECT buyer_uscc, buyer_name, NULL, '资产受让方', 3, 0, 0
  FROM staging.asset_disposal
), ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (PARTITION BY org_code ORDER BY priority, name) AS _rank,
    MAX(is_budget_unit) OVER (PARTITION BY org_code) AS any_budget_unit,
    MAX(is_enterprise) OVER (PARTITION BY org_code) AS any_enterprise,
    COUNT(*) OVER (PARTITION BY org_code) AS sightings
  FROM sightings
  WHERE org_code IS NOT NULL
)
SELECT
  org_code::VARCHAR AS org_code,
  CASE WHEN LENGTH(org_code) = 18 THEN 'uscc' ELSE 'unit_code' END::VARCHAR AS code_kind,
  name::VARCHAR AS name,
  COALESCE(
    region_code,
    CASE
      WHEN LENGTH(org_code) = 18 AND TRANSLATE(SUBSTRING(org_code, 3, 6), '0123456789', '') = ''
        THEN SUBSTRING(org_code, 3, 6)
    END
  )::VARCHAR AS region_code,
  kind::VARCHAR AS kind,
  (any_budget_unit = 1)::BOOLEAN AS is_budget_unit,
  (any_enterprise = 1)::BOOLEAN AS is_enterprise,
  sightings::BIGINT AS sightings
FROM ranked
WHERE _rank = 1
