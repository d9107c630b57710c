MODEL (
  name staging.treasury_payment,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key payment_id),
  grain payment_id,
  description '国库集中支付 treasury payments; merged on payment_id like the raw table (corrections replace)',
  audits (
    not_null(columns := (payment_id)),
    unique_values(columns := (payment_id)),
    accepted_range(column := amount, min_v := 0, blocking := false)
  )
);

SELECT
  payment_id::BIGINT AS payment_id,
  @normalize_text(unit_code)::VARCHAR AS unit_code,
  @normalize_id(payee_uscc)::VARCHAR AS payee_uscc,
  @normalize_text(payee_name)::VARCHAR AS payee_name,
  amount::DECIMAL(18, 2) AS amount,
  purpose_text::VARCHAR AS purpose_text,
  paid_at::TIMESTAMP AS paid_at,
  updated_at::TIMESTAMP AS updated_at
FROM raw_finance.treasury_payment
