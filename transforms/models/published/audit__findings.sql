MODEL (
  name audit.findings,
  kind VIEW,
  grain finding_id,
  description 'Published layer of audit.findings: the source columns, typed and cleaned (from staging.findings); region_code is the county of the audited unit (属地: audited_unit_code is a budget unit code or an enterprise USCC; via staging.org_region)',
  audits (not_null(columns := (finding_id)), unique_values(columns := (finding_id)))
);

SELECT
  f.finding_id,
  f.audit_project,
  f.audited_unit_code,
  f.audited_unit_name,
  f.finding_type,
  f.amount,
  f.description,
  f.found_on,
  f.rectify_deadline,
  f.rectify_status,
  f.rectified_on,
  f._source_file,
  f._source_line,
  r.region_code
FROM staging.findings AS f
LEFT JOIN staging.org_region AS r ON r.org_code = f.audited_unit_code
