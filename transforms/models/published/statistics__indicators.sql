MODEL (
  name statistics.indicators,
  kind VIEW,
  grain (region_code, period, indicator_code),
  description 'Published layer of statistics.indicators: the source columns, typed and cleaned (from staging.indicators)',
  audits (not_null(columns := (region_code, period, indicator_code)), unique_combination_of_columns(columns := (region_code, period, indicator_code)))
);

SELECT
  region_code,
  period,
  indicator_code,
  value,
  unit,
  reported_at,
  value_cny
FROM staging.indicators
