MODEL (
  name finance.treasury_payment,
  kind VIEW,
  grain payment_id,
  description 'Published layer of finance.treasury_payment: the source columns, typed and cleaned (from staging.treasury_payment); region_code is the county of the paying budget unit (属地, via staging.org_region)',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

SELECT
  t.payment_id,
  t.unit_code,
  t.payee_uscc,
  t.payee_name,
  t.amount,
  t.purpose_text,
  t.paid_at,
  t.updated_at,
  r.region_code
FROM staging.treasury_payment AS t
LEFT JOIN staging.org_region AS r ON r.org_code = t.unit_code
