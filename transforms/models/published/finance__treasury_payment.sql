MODEL (
  name finance.treasury_payment,
  kind VIEW,
  grain payment_id,
  description 'Published layer of finance.treasury_payment: the source columns, typed and cleaned (from staging.treasury_payment)',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

SELECT
  payment_id,
  unit_code,
  payee_uscc,
  payee_name,
  amount,
  purpose_text,
  paid_at,
  updated_at
FROM staging.treasury_payment
