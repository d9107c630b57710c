MODEL (
  name resources.person,
  kind FULL,
  grain id_number,
  description 'Conformed persons: one row per normalised resident ID seen in payroll, subsidy recipients or enterprise legal representatives. region_code (属地, a 6-digit county code) is where the person is paid or registered, by the first rule that places them: (1) payroll - the county of the paying budget unit in their latest pay_month (lowest record_id on a tie); (2) subsidies - the county of the township paid in their latest period (lowest payment_id on a tie); (3) enterprises - the county of the enterprise they represent (lowest USCC). Nobody placed: NULL, served to no jurisdiction-scoped partner.',
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
), places AS (
  SELECT p.person_id_number AS id_number, r.region_code, 1 AS rule, p.pay_month AS month, p.record_id AS seq,
    NULL::VARCHAR AS code
  FROM staging.payroll AS p
  JOIN staging.org_region AS r ON r.org_code = p.unit_code
  UNION ALL
  SELECT recipient_id_number, SUBSTRING(township_code, 1, 6), 2, period, payment_id, NULL::VARCHAR
  FROM staging.subsidy_payment
  WHERE LENGTH(township_code) >= 6
  UNION ALL
  SELECT legal_rep_id_number, region_code, 3, NULL::VARCHAR, NULL::BIGINT, uscc
  FROM staging.enterprise
), ranked AS (
  SELECT
    id_number,
    region_code,
    ROW_NUMBER() OVER (
      PARTITION BY id_number ORDER BY rule, month DESC NULLS LAST, seq NULLS LAST, code NULLS LAST
    ) AS _rank
  FROM places
  WHERE id_number IS NOT NULL AND region_code IS NOT NULL
)
SELECT
  pp.id_number::VARCHAR AS id_number,
  pp.name::VARCHAR AS name,
  pp.name_variants::BIGINT AS name_variants,
  CONCAT_WS(
    ',',
    CASE WHEN pp.payroll_records > 0 THEN 'finance.payroll' END,
    CASE WHEN pp.subsidy_payments > 0 THEN 'finance.subsidy_payment' END,
    CASE WHEN pp.enterprises_represented > 0 THEN 'state_assets.enterprise' END
  )::VARCHAR AS systems,
  ((pp.payroll_records > 0)::INTEGER + (pp.subsidy_payments > 0)::INTEGER
    + (pp.enterprises_represented > 0)::INTEGER)::INTEGER AS system_count,
  pp.payroll_records::BIGINT AS payroll_records,
  pp.subsidy_payments::BIGINT AS subsidy_payments,
  pp.enterprises_represented::BIGINT AS enterprises_represented,
  pl.region_code::VARCHAR AS region_code
FROM per_person AS pp
LEFT JOIN ranked AS pl ON pl.id_number = pp.id_number AND pl._rank = 1
