MODEL (
  name clues.split_procurement,
  kind FULL,
  grain payment_id,
  description '拆分采购规避招标: payments by one unit to one payee, each below split_threshold, two or more within split_window_days (inclusive) summing to at least split_threshold; region_code is the county of the paying unit (属地, via staging.org_region)',
  audits (not_null(columns := (payment_id)), unique_values(columns := (payment_id)))
);

/* Any qualifying window can be shifted to start at its first payment, so it suffices to
   try every payment p as a window start: members are q with date(p) <= date(q) <= date(p) + days - 1. */
WITH small AS (
  SELECT payment_id, unit_code, payee_uscc, amount, paid_at, CAST(paid_at AS DATE) AS paid_on
  FROM staging.treasury_payment
  WHERE amount < @VAR('split_threshold')
    AND unit_code IS NOT NULL AND payee_uscc IS NOT NULL AND paid_at IS NOT NULL
), windows AS (
  SELECT p.payment_id AS start_id, p.paid_on AS window_start, COUNT(*) AS window_payments,
    SUM(q.amount) AS window_amount
  FROM small AS p
  JOIN small AS q
    ON q.unit_code = p.unit_code AND q.payee_uscc = p.payee_uscc
    AND q.paid_on >= p.paid_on AND q.paid_on <= p.paid_on + (@VAR('split_window_days') - 1)
  GROUP BY p.payment_id, p.paid_on
  HAVING COUNT(*) >= 2 AND SUM(q.amount) >= @VAR('split_threshold')
), members AS (
  SELECT q.payment_id, w.window_start, w.window_payments, w.window_amount
  FROM windows AS w
  JOIN small AS p ON p.payment_id = w.start_id
  JOIN small AS q
    ON q.unit_code = p.unit_code AND q.payee_uscc = p.payee_uscc
    AND q.paid_on >= p.paid_on AND q.paid_on <= p.paid_on + (@VAR('split_window_days') - 1)
), flagged AS (
  SELECT payment_id, MIN(window_start) AS window_start, MAX(window_payments) AS window_payments,
    MAX(window_amount) AS window_amount
  FROM members
  GROUP BY payment_id
)
SELECT
  s.payment_id::BIGINT AS payment_id,
  s.unit_code::VARCHAR AS unit_code,
  s.payee_uscc::VARCHAR AS payee_uscc,
  s.amount::DECIMAL(18, 2) AS amount,
  s.paid_at::TIMESTAMP AS paid_at,
  f.window_start::DATE AS window_start,
  f.window_payments::BIGINT AS window_payments,
  f.window_amount::DECIMAL(18, 2) AS window_amount,
  @VAR('split_threshold')::DECIMAL(18, 2) AS threshold,
  @VAR('split_window_days')::INTEGER AS window_days,
  r.region_code::VARCHAR AS region_code,
  'split_procurement/v1'::VARCHAR AS model_version
FROM flagged AS f
JOIN small AS s ON s.payment_id = f.payment_id
LEFT JOIN staging.org_region AS r ON r.org_code = s.unit_code
