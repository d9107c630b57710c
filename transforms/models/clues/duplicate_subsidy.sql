MODEL (
  name clues.duplicate_subsidy,
  kind FULL,
  grain payment_id,
  description '重复发放补贴: every payment of a (recipient, program, period) paid more than once',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

WITH grouped AS (
  SELECT
    *,
    COUNT(*) OVER (PARTITION BY recipient_id_number, program_code, period) AS payments_in_group,
    SUM(amount) OVER (PARTITION BY recipient_id_number, program_code, period) AS group_amount,
    MIN(payment_id) OVER (PARTITION BY recipient_id_number, program_code, period) AS first_payment_id
  FROM staging.subsidy_payment
  WHERE recipient_id_number IS NOT NULL AND program_code IS NOT NULL AND period IS NOT NULL
)
SELECT
  payment_id::BIGINT AS payment_id,
  recipient_id_number::VARCHAR AS recipient_id_number,
  recipient_name::VARCHAR AS recipient_name,
  program_code::VARCHAR AS program_code,
  period::VARCHAR AS period,
  township_code::VARCHAR AS township_code,
  amount::DECIMAL(18, 2) AS amount,
  paid_at::TIMESTAMP AS paid_at,
  payments_in_group::BIGINT AS payments_in_group,
  group_amount::DECIMAL(18, 2) AS group_amount,
  first_payment_id::BIGINT AS first_payment_id,
  'duplicate_subsidy/v1'::VARCHAR AS model_version
FROM grouped
WHERE payments_in_group > 1
