CREATE OR REPLACE FUNCTION kijun_plan_versions_internal_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.status = 'submitted' AND OLD.status IS DISTINCT FROM 'submitted' AND NOT kijun_system()
     AND EXISTS (SELECT FROM ministry_plan_checks m WHERE m.ministry_code = NEW.ministry_code AND m.required)
     AND NOT kijun_ministry_admin(NEW.ministry_code) THEN
    RAISE EXCEPTION 'plan version %: the ministry requires its admin to submit', NEW.id USING ERRCODE = 'KJ020';
  END IF;
  RETURN NEW;
END
$$;
DROP TRIGGER plan_supplementary_controls_void_signoff ON plan_supplementary_controls;
DROP TRIGGER plan_profile_controls_void_signoff ON plan_profile_controls;
DROP TRIGGER plans_void_signoff ON plans;
DROP TRIGGER plan_versions_void_signoff ON plan_versions;
DROP FUNCTION kijun_plan_signoff_void_on_edit;
DROP FUNCTION kijun_plan_signoff_void;
REVOKE UPDATE (signoff_id) ON plan_versions FROM kijun_app;
ALTER TABLE plan_versions DROP CONSTRAINT plan_versions_signoff;
ALTER TABLE plan_versions DROP COLUMN signoff_id;
DROP TABLE plan_signoffs;
DROP FUNCTION kijun_plan_signoffs_draft;
