MODEL (
  name staging.budget_unit,
  kind FULL,
  grain unit_code,
  description '预算单位 budget units, codes trimmed (small table: rebuilt each run)',
  audits (not_null(columns := (unit_code)), unique_values(columns := (unit_code)))
);

SELECT
  @normalize_text(unit_code)::VARCHAR AS unit_code,
  @normalize_text(unit_name)::VARCHAR AS unit_name,
  @normalize_text(region_code)::VARCHAR AS region_code,
  @normalize_text(unit_type)::VARCHAR AS unit_type
FROM raw_finance.budget_unit
