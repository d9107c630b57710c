MODEL (
  name staging.indicators,
  kind FULL,
  grain (region_code, period, indicator_code),
  description '统计指标 statistics indicators; value_cny is the value in CNY when the unit is 万元 or 元',
  audits (
    not_null(columns := (region_code, period, indicator_code)),
    unique_combination_of_columns(columns := (region_code, period, indicator_code)),
    valid_month(column := period)
  )
);

SELECT
  @normalize_text(region_code)::VARCHAR AS region_code,
  @normalize_text(period)::VARCHAR AS period,
  UPPER(@normalize_text(indicator_code))::VARCHAR AS indicator_code,
  value::DECIMAL(20, 4) AS value,
  @normalize_text(unit)::VARCHAR AS unit,
  reported_at::TIMESTAMP AS reported_at,
  CASE
    WHEN TRIM(unit) = '万元' THEN value * 10000
    WHEN TRIM(unit) = '元' THEN value
  END::DECIMAL(28, 4) AS value_cny
FROM raw_statistics.indicators
