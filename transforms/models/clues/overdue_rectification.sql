MODEL (
  name clues.overdue_rectification,
  kind FULL,
  grain finding_id,
  description '逾期未整改: latest status not 已整改 with the deadline before as_of, or rectified after the deadline; region_code is the county of the audited unit (属地, via staging.org_region)',
  audits (not_null(columns := (finding_id)), unique_values(columns := (finding_id)))
);

WITH findings AS (
  SELECT
    *,
    CAST(@VAR('as_of') AS DATE) AS as_of,
    COALESCE(rectify_status, '') <> '已整改' AND rectify_deadline < CAST(@VAR('as_of') AS DATE) AS is_open_overdue,
    rectified_on > rectify_deadline AS is_rectified_late
  FROM staging.findings
), placed AS (
  SELECT f.*, r.region_code
  FROM findings AS f
  LEFT JOIN staging.org_region AS r ON r.org_code = f.audited_unit_code
)
SELECT
  finding_id::VARCHAR AS finding_id,
  audit_project::VARCHAR AS audit_project,
  audited_unit_code::VARCHAR AS audited_unit_code,
  audited_unit_name::VARCHAR AS audited_unit_name,
  finding_type::VARCHAR AS finding_type,
  amount::DECIMAL(18, 2) AS amount,
  found_on::DATE AS found_on,
  rectify_deadline::DATE AS rectify_deadline,
  rectify_status::VARCHAR AS rectify_status,
  rectified_on::DATE AS rectified_on,
  as_of::DATE AS as_of,
  CASE WHEN is_rectified_late THEN 'rectified_late' ELSE 'open_past_deadline' END::VARCHAR AS reason,
  (CASE WHEN is_rectified_late THEN rectified_on - rectify_deadline ELSE as_of - rectify_deadline END)::INTEGER
    AS days_overdue,
  _source_file::VARCHAR AS source_file,
  region_code::VARCHAR AS region_code,
  'overdue_rectification/v1'::VARCHAR AS model_version
FROM placed
WHERE is_open_overdue OR is_rectified_late
