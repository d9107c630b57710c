/* A period column must read YYYY-MM with a real month; otherwise period joins
   (payroll month = subsidy period, receipts month = statistics period) silently miss.
   Non-blocking: a malformed period is reported, the run goes on. */
AUDIT (
  name valid_month,
  blocking false
);

SELECT *
FROM @this_model
WHERE @column IS NOT NULL
  AND NOT REGEXP_MATCHES(@column, '^[0-9]{4}-(0[1-9]|1[0-2])$')
