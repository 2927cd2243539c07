ALTER TABLE control_set_items DROP CONSTRAINT control_set_items_ref_check,
  ADD CONSTRAINT control_set_items_ref_check CHECK (ref ~ '^[A-Z]+-[0-9]{2,3}$') NOT VALID;
DROP FUNCTION kijun_sector_profile, kijun_profile_controls, kijun_current_profile_version, kijun_plan_scope_operators;
DROP TABLE plan_evaluations, plan_events, plan_comments, plan_supplementary_controls, plan_profile_controls,
  plan_versions, plans;
DROP FUNCTION kijun_plan_evaluations_guard, kijun_plans_no_truncate, kijun_plan_rows_guard,
  kijun_plan_versions_guard, kijun_plans_sectors;
