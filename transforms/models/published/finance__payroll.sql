MODEL (
  name finance.payroll,
  kind VIEW,
  grain record_id,
  description 'Published layer of finance.payroll: the source columns, typed and cleaned (from staging.payroll); region_code is the county of the paying budget unit (属地, via staging.org_region)',
  audits (not_null(columns := (record_id)), unique_values(columns := (record_id)))
);

SELECT
  p.record_id,
  p.unit_code,
  p.person_id_number,
  p.person_name,
  p.position,
  p.pay_month,
  p.gross_pay,
  p.bank_card,
  r.region_code
FROM staging.payroll AS p
LEFT JOIN staging.org_region AS r ON r.org_code = p.unit_code
