MODEL (
  name resources.person,
  kind FULL,
  grain id_number,
  description 'Conformed persons: one row per normalised resident ID seen in payroll, subsidy recipients or enterprise legal representatives',
  audits (not_null(columns := (id_number)), unique_values(columns := (id_number)))
);

WITH sightings AS (
  SELECT person_id_number AS id_number, person_name AS name, 1 AS in_payroll, 0 AS in_subsidy, 0 AS in_enterprise
  FROM staging.payroll
  UNION ALL
  SELECT recipient_id_number, recipient_name, 0, 1, 0
  FROM staging.subsidy_payment
  UNION ALL
  SELECT legal_rep_id_number, legal_rep_name, 0, 0, 1
  FROM staging.enterprise
), per_person AS (
  SELECT
    id_number,
    MIN(name) AS name,
    COUNT(DISTINCT name) AS name_variants,
    SUM(in_payroll) AS payroll_records,
    SUM(in_subsidy) AS subsidy_payments,
    SUM(in_enterprise) AS enterprises_represented
  FROM sightings
  WHERE id_number IS NOT NULL
  GROUP BY id_number
)
SELECT
  id_number::VARCHAR AS id_number,
  name::VARCHAR AS name,
  name_variants::BIGINT AS name_variants,
  CONCAT_WS(
    ',',
    CASE WHEN payroll_records > 0 THEN 'finance.payroll' END,
    CASE WHEN subsidy_payments > 0 THEN 'finance.subsidy_payment' END,
    CASE WHEN enterprises_represented > 0 THEN 'state_assets.enterprise' END
  )::VARCHAR AS systems,
  ((payroll_records > 0)::INTEGER + (subsidy_payments > 0)::INTEGER + (enterprises_represented > 0)::INTEGER)::INTEGER AS system_count,
  payroll_records::BIGINT AS payroll_records,
  subsidy_payments::BIGINT AS subsidy_payments,
  enterprises_represented::BIGINT AS enterprises_represented
FROM per_person
