MODEL (
  name finance.payroll,
  kind VIEW,
  grain record_id,
  description 'Published layer of finance.payroll: the source columns, typed and cleaned (from staging.payroll)',
  audits (not_null(columns := (record_id)), unique_values(columns := (record_id)))
);

SELECT
  record_id,
  unit_code,
  person_id_number,
  person_name,
  position,
  pay_month,
  gross_pay,
  bank_card
FROM staging.payroll
