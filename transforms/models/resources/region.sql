MODEL (
  name resources.region,
  kind FULL,
  grain region_code,
  description 'Conformed regions: county (6-digit) and township (9-digit) codes seen in any source, with the parent county',
  audits (not_null(columns := (region_code, county_code)), unique_values(columns := (region_code)))
);

WITH seen AS (
  SELECT region_code AS code, 'finance.budget_unit' AS source FROM staging.budget_unit
  UNION ALL SELECT township_code, 'finance.subsidy_payment' FROM staging.subsidy_payment
  UNION ALL SELECT region_code, 'finance.revenue_receipt' FROM staging.revenue_receipt
  UNION ALL SELECT region_code, 'state_assets.enterprise' FROM staging.enterprise
  UNION ALL SELECT region_code, 'statistics.indicators' FROM staging.indicators
), codes AS (
  SELECT code, source FROM seen WHERE LENGTH(code) IN (6, 9)
  UNION ALL
  SELECT SUBSTRING(code, 1, 6), 'derived' FROM seen WHERE LENGTH(code) = 9
)
SELECT
  code::VARCHAR AS region_code,
  CASE WHEN LENGTH(code) = 6 THEN 'county' ELSE 'township' END::VARCHAR AS level,
  SUBSTRING(code, 1, 6)::VARCHAR AS county_code,
  CASE WHEN LENGTH(code) = 9 THEN SUBSTRING(code, 1, 6) END::VARCHAR AS parent_code,
  SUM(CASE WHEN source = 'derived' THEN 0 ELSE 1 END)::BIGINT AS sightings
FROM codes
GROUP BY code
