MODEL (
  name staging.revenue_receipt,
  kind FULL,
  grain (region_code, month),
  description '国库收入 treasury revenue receipts per county and month',
  audits (
    not_null(columns := (region_code, month)),
    unique_combination_of_columns(columns := (region_code, month)),
    valid_month(column := month)
  )
);

SELECT
  @normalize_text(region_code)::VARCHAR AS region_code,
  @normalize_text(month)::VARCHAR AS month,
  amount::DECIMAL(18, 2) AS amount
FROM raw_finance.revenue_receipt
