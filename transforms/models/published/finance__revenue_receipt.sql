MODEL (
  name finance.revenue_receipt,
  kind VIEW,
  grain (region_code, month),
  description 'Published layer of finance.revenue_receipt: the source columns, typed and cleaned (from staging.revenue_receipt)',
  audits (not_null(columns := (region_code, month)), unique_combination_of_columns(columns := (region_code, month)))
);

SELECT
  region_code,
  month,
  amount
FROM staging.revenue_receipt
