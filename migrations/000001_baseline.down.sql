-- Removes everything the baseline creates. The kijun_app role is
-- cluster-wide and may serve other databases, so it stays.

-- Dashboards' derived tables
DROP FUNCTION kijun_sector_benchmark, kijun_rebuild_sector_control_rollups, kijun_rebuild_sector_status_counts,
  kijun_rebuild_sector_rollups;
DROP TABLE sector_control_rollups, sector_status_counts, sector_rollups;
DROP TRIGGER assessments_scr_update ON assessments;
DROP TRIGGER assessments_counts_insert ON assessments;
DROP TRIGGER assessments_counts_update ON assessments;
DROP TRIGGER assessments_counts_delete ON assessments;
DROP TRIGGER assessments_sector_rollups ON assessments;
DROP TRIGGER sector_rollups_insert ON assessment_rollups;
DROP TRIGGER sector_rollups_delete ON assessment_rollups;
DROP TRIGGER sector_rollups_update ON assessment_rollups;
DROP FUNCTION kijun_sector_control_rollups_status, kijun_sector_status_counts_rows, kijun_sector_rollups_status,
  kijun_sector_rollups_rows, kijun_sector_rollups_upsert;

-- Plans
DROP FUNCTION kijun_sector_profile, kijun_profile_controls, kijun_current_profile_version, kijun_plan_scope_operators;
DROP TABLE plan_evaluations, plan_events, plan_comments, plan_supplementary_controls, plan_profile_controls,
  plan_versions, plans;
DROP FUNCTION kijun_plan_evaluations_guard, kijun_plans_no_truncate, kijun_plan_rows_guard,
  kijun_plan_versions_guard, kijun_plans_sectors;

-- Assessments
DROP VIEW assessment_controls;
DROP TABLE assessment_rollups, assessment_events, review_comments, evidence, answers, assessments,
  control_set_items, control_sets, cycles, answer_scale;
DROP FUNCTION kijun_answers_guard, kijun_assessments_transition;

-- Register
DROP FUNCTION kijun_operator_exists;
DROP TABLE operator_corrections, operator_contacts, operator_systems;

-- Catalog
DROP TABLE controls, catalogs;
DROP FUNCTION kijun_catalogs_no_truncate, kijun_catalogs_guard, kijun_controls_guard, kijun_controls_codes;

-- Tenancy and audit
DROP TABLE audit_anchors, job_runs;
DROP FUNCTION kijun_user_id_by_email, kijun_audit_append, kijun_audit_hash;
DROP TABLE audit_chain_heads, audit_events, sessions, role_grants, identities, users, operator_scopes, operators;
DROP FUNCTION kijun_row_visible, kijun_operators, kijun_sectors, kijun_ministries, kijun_user_id,
  kijun_system, kijun_nco, kijun_setting_array;

-- Reference data
DROP TABLE themes, baseline_sections, sector_examples, ceptoars, business_scopes, sector_oversight, sectors,
  ministries;

REVOKE SELECT ON schema_migrations FROM kijun_app;
DROP EXTENSION IF EXISTS pg_trgm;
