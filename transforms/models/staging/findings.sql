MODEL (
  name staging.findings,
  kind FULL,
  grain finding_id,
  description '审计发现 audit findings reduced to the latest status per finding_id (latest file wins)',
  audits (
    not_null(columns := (finding_id)),
    unique_values(columns := (finding_id)),
    accepted_range(column := amount, min_v := 0, blocking := false)
  )
);

WITH ranked AS (
  SELECT
    *,
    ROW_NUMBER() OVER (
      PARTITION BY @normalize_text(finding_id)
      ORDER BY _source_file DESC, _source_line DESC
    ) AS _rank
  FROM raw_audit.findings
)
SELECT
  @normalize_text(finding_id)::VARCHAR AS finding_id,
  audit_project::VARCHAR AS audit_project,
  @normalize_text(audited_unit_code)::VARCHAR AS audited_unit_code,
  @normalize_text(audited_unit_name)::VARCHAR AS audited_unit_name,
  @normalize_text(finding_type)::VARCHAR AS finding_type,
  amount::DECIMAL(18, 2) AS amount,
  description::VARCHAR AS description,
  found_on::DATE AS found_on,
  rectify_deadline::DATE AS rectify_deadline,
  @normalize_text(rectify_status)::VARCHAR AS rectify_status,
  rectified_on::DATE AS rectified_on,
  _source_file::VARCHAR AS _source_file,
  _source_line::BIGINT AS _source_line
FROM ranked
WHERE _rank = 1 AND @normalize_text(finding_id) IS NOT NULL
