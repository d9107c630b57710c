MODEL (
  name audit.findings,
  kind VIEW,
  grain finding_id,
  description 'Published layer of audit.findings: the source columns, typed and cleaned (from staging.findings)',
  audits (not_null(columns := (finding_id)), unique_values(columns := (finding_id)))
);

SELECT
  finding_id,
  audit_project,
  audited_unit_code,
  audited_unit_name,
  finding_type,
  amount,
  description,
  found_on,
  rectify_deadline,
  rectify_status,
  rectified_on,
  _source_file,
  _source_line
FROM staging.findings
