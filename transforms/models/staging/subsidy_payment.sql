MODEL (
  name staging.subsidy_payment,
  kind INCREMENTAL_BY_UNIQUE_KEY (unique_key payment_id),
  grain payment_id,
  description '惠民惠农补贴发放 subsidy payments; merged on payment_id like the raw table (corrections replace)',
  audits (
    not_null(columns := (payment_id)),
    unique_values(columns := (payment_id)),
    accepted_range(column := amount, min_v := 0, blocking := false),
    valid_month(column := period)
  )
);

SELECT
  payment_id::BIGINT AS payment_id,
  UPPER(@normalize_text(program_code))::VARCHAR AS program_code,
  @normalize_id(recipient_id_number)::VARCHAR AS recipient_id_number,
  @normalize_text(recipient_name)::VARCHAR AS recipient_name,
  @normalize_text(recipient_phone)::VARCHAR AS recipient_phone,
  @normalize_id(bank_card)::VARCHAR AS bank_card,
  @normalize_text(township_code)::VARCHAR AS township_code,
  amount::DECIMAL(18, 2) AS amount,
  @normalize_text(period)::VARCHAR AS period,
  paid_at::TIMESTAMP AS paid_at,
  updated_at::TIMESTAMP AS updated_at
FROM raw_finance.subsidy_payment
