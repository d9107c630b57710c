MODEL (
  name staging.org_region,
  kind FULL,
  grain org_code,
  description '属地 the county (6-digit administrative code) of every organisation the sources place: budget units (finance.budget_unit.region_code) and state-owned enterprises (state_assets.enterprise.region_code); a code known to both takes the budget unit''s. The jurisdiction derivations of payroll, treasury payments, disposals, decisions and audit findings all join here.',
  audits (not_null(columns := (org_code)), unique_values(columns := (org_code)))
);

WITH placed AS (
  SELECT unit_code AS org_code, region_code, 'finance.budget_unit' AS placed_by, 1 AS priority
  FROM staging.budget_unit
  UNION ALL
  SELECT uscc, region_code, 'state_assets.enterprise', 2
  FROM staging.enterprise
), ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY org_code ORDER BY priority) AS _rank
  FROM placed
  WHERE org_code IS NOT NULL AND region_code IS NOT NULL
)
SELECT
  org_code::VARCHAR AS org_code,
  region_code::VARCHAR AS region_code,
  placed_by::VARCHAR AS placed_by
FROM ranked
WHERE _rank = 1
