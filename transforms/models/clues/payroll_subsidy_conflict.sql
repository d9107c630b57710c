MODEL (
  name clues.payroll_subsidy_conflict,
  kind FULL,
  grain payment_id,
  description '财政供养人员违规享受低保/特困: a DB or TK subsidy paid for period P to a person on the payroll in month P',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

SELECT
  s.payment_id::BIGINT AS payment_id,
  s.program_code::VARCHAR AS program_code,
  s.recipient_id_number::VARCHAR AS recipient_id_number,
  s.recipient_name::VARCHAR AS recipient_name,
  s.township_code::VARCHAR AS township_code,
  s.period::VARCHAR AS period,
  s.amount::DECIMAL(18, 2) AS amount,
  s.paid_at::TIMESTAMP AS paid_at,
  MIN(p.record_id)::BIGINT AS payroll_record_id,
  MIN(p.unit_code)::VARCHAR AS payroll_unit_code,
  COUNT(*)::BIGINT AS payroll_records,
  SUM(p.gross_pay)::DECIMAL(18, 2) AS payroll_gross_pay,
  'payroll_subsidy_conflict/v1'::VARCHAR AS model_version
FROM staging.subsidy_payment AS s
JOIN staging.payroll AS p
  ON p.person_id_number = s.recipient_id_number AND p.pay_month = s.period
WHERE s.program_code IN ('DB', 'TK')
GROUP BY s.payment_id, s.program_code, s.recipient_id_number, s.recipient_name, s.township_code,
  s.period, s.amount, s.paid_at
