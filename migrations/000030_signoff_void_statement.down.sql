DROP TRIGGER plan_supplementary_controls_void_signoff_delete ON plan_supplementary_controls;
DROP TRIGGER plan_supplementary_controls_void_signoff_update ON plan_supplementary_controls;
DROP TRIGGER plan_supplementary_controls_void_signoff_insert ON plan_supplementary_controls;
DROP TRIGGER plan_profile_controls_void_signoff_delete ON plan_profile_controls;
DROP TRIGGER plan_profile_controls_void_signoff_update ON plan_profile_controls;
DROP TRIGGER plan_profile_controls_void_signoff_insert ON plan_profile_controls;
DROP TRIGGER plans_void_signoff ON plans;
DROP TRIGGER plan_versions_void_signoff ON plan_versions;

CREATE FUNCTION kijun_plan_signoff_void(p_version bigint) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE plan_signoffs SET voided_at = now(), voided_why = 'edited'
    WHERE version_id = p_version AND step = 'confirmed' AND voided_at IS NULL
$$;
REVOKE EXECUTE ON FUNCTION kijun_plan_signoff_void FROM PUBLIC;

CREATE OR REPLACE FUNCTION kijun_plan_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_meta text[] := ARRAY['status', 'submitted_at', 'submitted_by', 'decided_at', 'decided_by', 'updated_at', 'signoff_id'];
  v_id bigint;
BEGIN
  IF TG_TABLE_NAME = 'plan_versions' THEN
    IF NEW.status = 'draft' AND OLD.status = 'draft' AND to_jsonb(NEW) - v_meta IS DISTINCT FROM to_jsonb(OLD) - v_meta THEN
      PERFORM kijun_plan_signoff_void(NEW.id);
    END IF;
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'plans' THEN
    IF NEW.period_end IS DISTINCT FROM OLD.period_end THEN
      PERFORM kijun_plan_signoff_void(v.id) FROM plan_versions v WHERE v.plan_id = NEW.id AND v.status = 'draft';
    END IF;
    RETURN NULL;
  END IF;
  v_id := CASE TG_OP WHEN 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
  IF TG_OP = 'UPDATE' AND to_jsonb(NEW) = to_jsonb(OLD) THEN
    RETURN NULL;
  END IF;
  PERFORM kijun_plan_signoff_void(v_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER plan_versions_void_signoff AFTER UPDATE ON plan_versions
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plans_void_signoff AFTER UPDATE OF period_end ON plans
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_profile_controls_void_signoff AFTER INSERT OR UPDATE OR DELETE ON plan_profile_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();
CREATE TRIGGER plan_supplementary_controls_void_signoff AFTER INSERT OR UPDATE OR DELETE ON plan_supplementary_controls
  FOR EACH ROW EXECUTE FUNCTION kijun_plan_signoff_void_on_edit();

DROP TRIGGER evidence_void_signoff_delete ON evidence;
DROP TRIGGER evidence_void_signoff_update ON evidence;
DROP TRIGGER evidence_void_signoff_insert ON evidence;
DROP TRIGGER answers_void_signoff_delete ON answers;
DROP TRIGGER answers_void_signoff_update ON answers;
DROP TRIGGER answers_void_signoff_insert ON answers;

CREATE OR REPLACE FUNCTION kijun_signoff_void_on_edit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_id bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'sector_code' = to_jsonb(OLD) - 'sector_code') THEN
    RETURN NULL;
  END IF;
  v_id := CASE TG_OP WHEN 'DELETE' THEN OLD.assessment_id ELSE NEW.assessment_id END;
  UPDATE assessment_signoffs SET voided_at = now(), voided_why = 'answer_changed'
    WHERE assessment_id = v_id AND decision = 'confirmed' AND voided_at IS NULL;
  RETURN NULL;
END
$$;
CREATE TRIGGER answers_void_signoff AFTER INSERT OR UPDATE OR DELETE ON answers
  FOR EACH ROW EXECUTE FUNCTION kijun_signoff_void_on_edit();
CREATE TRIGGER evidence_void_signoff AFTER INSERT OR UPDATE OR DELETE ON evidence
  FOR EACH ROW EXECUTE FUNCTION kijun_signoff_void_on_edit();
