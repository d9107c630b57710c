MODEL (
  name finance.subsidy_payment,
  kind VIEW,
  grain payment_id,
  description 'Published layer of finance.subsidy_payment: the source columns, typed and cleaned (from staging.subsidy_payment)',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

SELECT
  payment_id,
  program_code,
  recipient_id_number,
  recipient_name,
  recipient_phone,
  bank_card,
  township_code,
  amount,
  period,
  paid_at,
  updated_at
FROM staging.subsidy_payment
