MODEL (
  name clues.related_party_payment,
  kind FULL,
  grain payment_id,
  description '关联方支付: a treasury payment by unit U to an enterprise whose legal representative is on U''s payroll (any month); region_code is the county of the paying unit U (属地, via staging.org_region)',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

WITH unit_staff AS (
  SELECT unit_code, person_id_number, MIN(person_name) AS person_name, MIN(record_id) AS record_id,
    COUNT(*) AS payroll_records
  FROM staging.payroll
  WHERE person_id_number IS NOT NULL
  GROUP BY unit_code, person_id_number
)
SELECT
  t.payment_id::BIGINT AS payment_id,
  t.unit_code::VARCHAR AS unit_code,
  t.payee_uscc::VARCHAR AS payee_uscc,
  t.payee_name::VARCHAR AS payee_name,
  t.amount::DECIMAL(18, 2) AS amount,
  t.paid_at::TIMESTAMP AS paid_at,
  e.legal_rep_id_number::VARCHAR AS legal_rep_id_number,
  e.legal_rep_name::VARCHAR AS legal_rep_name,
  s.record_id::BIGINT AS payroll_record_id,
  s.payroll_records::BIGINT AS payroll_records,
  r.region_code::VARCHAR AS region_code,
  'related_party_payment/v1'::VARCHAR AS model_version
FROM staging.treasury_payment AS t
JOIN staging.enterprise AS e ON e.uscc = t.payee_uscc
JOIN unit_staff AS s ON s.unit_code = t.unit_code AND s.person_id_number = e.legal_rep_id_number
LEFT JOIN staging.org_region AS r ON r.org_code = t.unit_code
