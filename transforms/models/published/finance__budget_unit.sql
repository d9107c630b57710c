MODEL (
  name finance.budget_unit,
  kind VIEW,
  grain unit_code,
  description 'Published layer of finance.budget_unit: the source columns, typed and cleaned (from staging.budget_unit)',
  audits (not_null(columns := (unit_code)), unique_values(columns := (unit_code)))
);

SELECT
  unit_code,
  unit_name,
  region_code,
  unit_type
FROM staging.budget_unit
