MODEL (
  name clues.revenue_discrepancy,
  kind FULL,
  grain (region_code, month),
  description '收入数据不一致: statistics FISCAL_REV (万元 → CNY) differs from the sum of treasury receipts by more than revenue_tolerance of the receipts',
  audits (
    not_null(columns := (region_code, month)),
    unique_combination_of_columns(columns := (region_code, month))
  )
);

WITH stat AS (
  SELECT region_code, period AS month, value AS fiscal_rev_value, unit AS fiscal_rev_unit,
    value_cny AS fiscal_rev_cny
  FROM staging.indicators
  WHERE indicator_code = 'FISCAL_REV' AND value_cny IS NOT NULL
), receipts AS (
  SELECT region_code, month, SUM(amount) AS receipts_amount, COUNT(*) AS receipt_rows
  FROM staging.revenue_receipt
  GROUP BY region_code, month
)
SELECT
  r.region_code::VARCHAR AS region_code,
  r.month::VARCHAR AS month,
  s.fiscal_rev_value::DECIMAL(20, 4) AS fiscal_rev_value,
  s.fiscal_rev_unit::VARCHAR AS fiscal_rev_unit,
  s.fiscal_rev_cny::DECIMAL(28, 4) AS fiscal_rev_cny,
  r.receipts_amount::DECIMAL(28, 2) AS receipts_amount,
  (s.fiscal_rev_cny - r.receipts_amount)::DECIMAL(28, 4) AS difference,
  (ABS(s.fiscal_rev_cny - r.receipts_amount) / NULLIF(r.receipts_amount, 0))::DECIMAL(18, 6) AS difference_ratio,
  @VAR('revenue_tolerance')::DECIMAL(10, 6) AS tolerance,
  'revenue_discrepancy/v1'::VARCHAR AS model_version
FROM receipts AS r
JOIN stat AS s ON s.region_code = r.region_code AND s.month = r.month
WHERE ABS(s.fiscal_rev_cny - r.receipts_amount) > @VAR('revenue_tolerance') * r.receipts_amount
