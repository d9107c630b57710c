MODEL (
  name staging.payroll,
  kind FULL,
  grain record_id,
  description '财政供养人员工资 payroll lines, ID numbers normalised (trim, upper-case X)',
  audits (
    not_null(columns := (record_id)),
    unique_values(columns := (record_id)),
    accepted_range(column := gross_pay, min_v := 0, blocking := false),
    valid_month(column := pay_month)
  )
);

SELECT
  record_id::BIGINT AS record_id,
  @normalize_text(unit_code)::VARCHAR AS unit_code,
  @normalize_id(person_id_number)::VARCHAR AS person_id_number,
  @normalize_text(person_name)::VARCHAR AS person_name,
  @normalize_text(position)::VARCHAR AS position,
  @normalize_text(pay_month)::VARCHAR AS pay_month,
  gross_pay::DECIMAL(18, 2) AS gross_pay,
  @normalize_id(bank_card)::VARCHAR AS bank_card
FROM raw_finance.payroll
